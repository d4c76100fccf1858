/**
 * The process's one subscriber connection, shared by every reader and the signals: a channel is
 * subscribed when its first local listener comes and released when its last one leaves.
 */

import type { Redis } from "ioredis";
import { describeError, ThrottledFailure, type BusLogger } from "./logging.js";

export interface ChannelListener {
  message(text: string): void;
  /**
   * The connection was lost and is back: what was published meanwhile never came, so a listener
   * catches up from what Redis stored (a reader re-reads its stream from its last event).
   */
  resync(): void;
}

interface Channel {
  listeners: Set<ChannelListener>;
  /** Settles when Redis confirmed the SUBSCRIBE: messages published from then on arrive. */
  subscribed: Promise<unknown>;
}

export class Subscriptions {
  private readonly channels = new Map<string, Channel>();
  private readonly unsubscribeFailures: ThrottledFailure;

  constructor(
    private readonly redis: Redis,
    private readonly logger: BusLogger,
  ) {
    this.unsubscribeFailures = new ThrottledFailure(logger, "unsubscribing from a Redis channel failed");
    redis.on("message", (channel: string, text: string) => {
      const entry = this.channels.get(channel);
      if (!entry) return;
      for (const listener of entry.listeners) {
        // A throwing listener must not reach ioredis's reply parser, nor keep the message from the others.
        try {
          listener.message(text);
        } catch (error) {
          this.logger.error({ err: describeError(error), channel }, "handling a Redis message failed");
        }
      }
    });
    // The connection is opened before this listener exists: every `ready` it hears is a reconnect.
    redis.on("ready", () => void this.restore());
  }

  /**
   * Starts delivering the channel's messages to `listener`; resolves (with the release function)
   * once Redis confirmed the subscription, so whatever is published after that reaches it.
   * Rejects when Redis is unreachable.
   */
  async listen(channel: string, listener: ChannelListener): Promise<() => void> {
    let entry = this.channels.get(channel);
    if (!entry) {
      entry = { listeners: new Set(), subscribed: this.redis.subscribe(channel) };
      this.channels.set(channel, entry);
    }
    entry.listeners.add(listener);
    const joined = entry;
    const release = () => this.release(channel, joined, listener);
    try {
      await entry.subscribed;
    } catch (error) {
      release();
      throw error;
    }
    return release;
  }

  private release(channel: string, entry: Channel, listener: ChannelListener): void {
    if (!entry.listeners.delete(listener) || entry.listeners.size > 0 || this.channels.get(channel) !== entry) return;
    this.channels.delete(channel);
    this.redis.unsubscribe(channel).catch((error: unknown) => this.unsubscribeFailures.report(error, { channel }));
  }

  /** After a reconnect: subscribes every channel again, then has each listener catch up. */
  private async restore(): Promise<void> {
    const channels = [...this.channels.keys()];
    try {
      if (channels.length > 0) await this.redis.subscribe(...channels);
    } catch (error) {
      // Lost again already: the next `ready` restores them.
      this.logger.warn({ err: describeError(error), channels: channels.length }, "restoring Redis subscriptions failed");
      return;
    }
    for (const entry of this.channels.values()) for (const listener of entry.listeners) listener.resync();
  }
}
