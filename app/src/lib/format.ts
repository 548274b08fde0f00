/** Display helpers: OPG amounts, shortened addresses and hashes, times. */
import { ethers } from "ethers";

/** OPG wei as OPG with at most `digits` decimals ("12.5 OPG"). */
export function formatOpg(wei: bigint | string, digits = 6): string {
  const text = ethers.formatEther(BigInt(wei));
  const [whole, fraction = ""] = text.split(".");
  const cut = fraction.slice(0, digits).replace(/0+$/, "");
  return `${Number(whole).toLocaleString("en-US")}${cut === "" ? "" : `.${cut}`} OPG`;
}

/** `0x1234…abcd`. */
export function short(hex: string, keep = 4): string {
  return hex.length <= 2 + 2 * keep + 1 ? hex : `${hex.slice(0, 2 + keep)}…${hex.slice(-keep)}`;
}

/** Unix seconds as local time "19:55:02". */
export function clock(unix: number | bigint): string {
  return new Date(Number(unix) * 1000).toLocaleTimeString("en-GB", { hour12: false });
}

/** Seconds from `now` to `at`: "in 42 s" or "42 s ago". */
export function relative(at: bigint, now: bigint): string {
  const delta = Number(at - now);
  return delta >= 0 ? `in ${delta} s` : `${-delta} s ago`;
}

/** The message of anything thrown, on one line. */
export function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const reason = (error as { shortMessage?: unknown }).shortMessage;
  return (typeof reason === "string" ? reason : message).split("\n")[0] ?? message;
}
