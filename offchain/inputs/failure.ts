/** Why a `fetch` failed, in one word when possible (no Node API here: the browser's client uses it too). */

/** The reason of a failed `fetch`: the system error code (ECONNREFUSED, ENOTFOUND, …) when there is one. */
export function describeFetchFailure(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string; errors?: Array<{ code?: string }> } }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (error as Error).message;
}
