import { lookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { checkResolvedAddress, type WebhookUrlPolicy } from "./url-policy.js";

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

/** Name resolution, injectable so tests never need real DNS. */
export type Resolver = (hostname: string) => Promise<ResolvedAddress[]>;

export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/** Every address a host name resolved to was refused by the URL policy. */
export class BlockedAddressError extends Error {
  override name = "BlockedAddressError";
  readonly code = "EWEBHOOKBLOCKED";
}

/**
 * Resolves `hostname` once and keeps only the addresses the policy allows (family taken from
 * the address itself, not the resolver's word). Throws BlockedAddressError when none remain.
 */
export async function resolvePermitted(hostname: string, resolver: Resolver, policy: WebhookUrlPolicy): Promise<ResolvedAddress[]> {
  const found = await resolver(hostname);
  const permitted: ResolvedAddress[] = [];
  const refused: string[] = [];
  for (const { address } of found) {
    const family = isIP(address);
    const reason = family === 0 ? `${address} is not an IP address` : checkResolvedAddress(address, policy);
    if (reason === null) permitted.push({ address, family: family === 6 ? 6 : 4 });
    else refused.push(reason);
  }
  if (permitted.length === 0) {
    const why = refused.length === 0 ? "no addresses" : refused.join("; ");
    throw new BlockedAddressError(`webhook host ${hostname} resolves to no permitted address (${why})`);
  }
  return permitted;
}

/**
 * A `lookup` for net/tls.connect: the socket only ever connects to an address checked here,
 * so a name cannot pass the check and then re-resolve elsewhere (DNS rebinding).
 * IP-literal hosts never reach a lookup; the caller checks them directly.
 */
export function guardedLookup(resolver: Resolver, policy: WebhookUrlPolicy): LookupFunction {
  return (hostname, options, callback) => {
    resolvePermitted(hostname, resolver, policy).then(
      (permitted) => {
        const wanted = options.family === 4 || options.family === 6 ? permitted.filter((a) => a.family === options.family) : permitted;
        if (wanted.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`webhook host ${hostname} has no permitted IPv${String(options.family)} address`);
          error.code = "ENOTFOUND";
          callback(error, "");
        } else if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, wanted[0].address, wanted[0].family);
        }
      },
      (error: NodeJS.ErrnoException) => callback(error, ""),
    );
  };
}
