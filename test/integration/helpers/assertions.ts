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
