import { describe, expect, it } from "vitest";
import { resolveWebhookSettings } from "../../src/webhooks/config.js";
import { BlockedAddressError, guardedLookup, resolvePermitted, type ResolvedAddress, type Resolver } from "../../src/webhooks/dns-guard.js";

const serve = resolveWebhookSettings("serve", {}, {}, {}).urlPolicy;
const dev = resolveWebhookSettings("dev", {}, {}, {}).urlPolicy;

function fixed(addresses: string[]): Resolver {
  return async () => addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
}

// Pure checks: private addresses never get near a socket in these tests.
describe("resolvePermitted", () => {
  it.each([
    ["10.0.0.1"],
    ["169.254.169.254"],
    ["100.100.100.200"],
    ["::ffff:169.254.169.254"],
    ["2002:a9fe:a9fe::1"],
    ["64:ff9b::10.0.0.1"],
    ["fd12::1"],
    ["127.0.0.1"],
    ["::1"],
    ["0.0.0.0"],
  ])("serve mode refuses a name resolving to %s", async (address) => {
    await expect(resolvePermitted("hooks.example.com", fixed([address]), serve)).rejects.toBeInstanceOf(BlockedAddressError);
  });

  it("drops refused addresses and keeps the permitted ones", async () => {
    const result = await resolvePermitted("hooks.example.com", fixed(["10.0.0.1", "93.184.216.34", "::1", "2606:4700::1"]), serve);
    expect(result).toEqual([
      { address: "93.184.216.34", family: 4 },
      { address: "2606:4700::1", family: 6 },
    ]);
  });

  it("takes the family from the address, and refuses non-addresses", async () => {
    const liar: Resolver = async () => [{ address: "8.8.8.8", family: 6 } as ResolvedAddress];
    expect(await resolvePermitted("x.example", liar, dev)).toEqual([{ address: "8.8.8.8", family: 4 }]);
    await expect(resolvePermitted("x.example", fixed(["2130706433"]), dev)).rejects.toThrow(/not an IP address/);
    await expect(resolvePermitted("x.example", fixed([]), dev)).rejects.toThrow(/no permitted address \(no addresses\)/);
  });

  it("passes resolver failures through", async () => {
    const failing: Resolver = async () => {
      throw Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" });
    };
    await expect(resolvePermitted("x.example", failing, dev)).rejects.toMatchObject({ code: "ENOTFOUND" });
  });
});

describe("guardedLookup", () => {
  const call = (lookup: ReturnType<typeof guardedLookup>, options: { all?: boolean; family?: number }) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown; family?: number }>((resolve) =>
      lookup("hooks.example.com", options, (err, address, family) => resolve({ err, address, family })),
    );

  it("answers in both callback shapes net.connect uses", async () => {
    const lookup = guardedLookup(fixed(["10.0.0.1", "93.184.216.34", "2606:4700::1"]), serve);
    expect(await call(lookup, { all: true })).toMatchObject({
      err: null,
      address: [
        { address: "93.184.216.34", family: 4 },
        { address: "2606:4700::1", family: 6 },
      ],
    });
    expect(await call(lookup, {})).toMatchObject({ err: null, address: "93.184.216.34", family: 4 });
    expect(await call(lookup, { family: 6 })).toMatchObject({ err: null, address: "2606:4700::1", family: 6 });
  });

  it("reports a refusal as an error", async () => {
    const { err } = await call(guardedLookup(fixed(["192.168.1.1"]), serve), { all: true });
    expect(err).toBeInstanceOf(BlockedAddressError);
    expect(err?.message).toMatch(/192\.168\.1\.1 is a private or reserved address/);
  });
});
