import { expect } from "chai";

/** Awaits `promise` and asserts it rejects with an instance of `type`; returns the error for further checks. */
export async function expectRejects<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(type);
    return error as T;
  }
  return expect.fail(`expected ${type.name}`);
}

/**
 * `|actual - expected| <= tolerance` for plain numbers. (The ethers chai matchers turn `closeTo` into a bigint matcher
 * once loaded, which rejects fractional numbers in the full suite.)
 */
export function expectNear(actual: number, expected: number, tolerance: number, what = "value"): void {
  expect(Math.abs(actual - expected), `${what}: ${actual} is not within ${tolerance} of ${expected}`).to.be.at.most(
    tolerance,
  );
}
