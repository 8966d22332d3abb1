/** Parses a dotted IPv4 literal into a 32-bit number, or undefined when it is not one. */
export function ipv4ToNumber(address: string): number | undefined {
  const parts = address.split(".");
  if (parts.length !== 4 || parts.some((part) => !/^(0|[1-9]\d{0,2})$/.test(part) || Number(part) > 255)) return undefined;
  return parts.reduce((value, part) => value * 256 + Number(part), 0);
}

/** Whether an IPv4 literal lies inside a CIDR block such as "172.29.10.0/24". */
export function ipv4InCidr(address: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const ip = ipv4ToNumber(address);
  const network = ipv4ToNumber(base ?? "");
  const bits = Number(bitsText);
  if (ip === undefined || network === undefined || !Number.isInteger(bits) || bits < 0 || bits > 32) {
    throw new Error(`not an IPv4 address and CIDR block: ${address} in ${cidr}`);
  }
  const size = 2 ** (32 - bits);
  return Math.floor(ip / size) === Math.floor(network / size);
}
