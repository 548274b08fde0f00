/** Hash routing: `#/chat`, `#/explorer/<request id>`, `#/observatory`. */
import { useEffect, useState } from "react";

export type Route = { page: "chat" } | { page: "explorer"; requestId: string | null } | { page: "observatory" };

export function parseRoute(hash: string): Route {
  const [page, arg] = hash.replace(/^#\/?/, "").split("/");
  if (page === "explorer") return { page: "explorer", requestId: arg !== undefined && arg !== "" ? arg : null };
  if (page === "observatory") return { page: "observatory" };
  return { page: "chat" };
}

export function explorerHref(requestId: bigint | string): string {
  return `#/explorer/${requestId}`;
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseRoute(location.hash));
    window.addEventListener("hashchange", update);
    return () => window.removeEventListener("hashchange", update);
  }, []);
  return route;
}
