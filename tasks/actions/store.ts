/** The `store` task: run the content-addressed input store (offchain/inputs/store.ts) until SIGINT/SIGTERM. */
import path from "node:path";

import type { HardhatRuntimeEnvironment } from "hardhat/types/hre";

import { startInputStore } from "../../offchain/inputs/store.js";
import { createLogger } from "../../offchain/node/logger.js";
import { TaskInputError } from "./context.js";
import { untilSignal } from "./signals.js";

export async function storeAction(
  args: { host: string; port: number; dir: string; maxBytes: number; publicUrl: string; pretty: boolean },
  hre: HardhatRuntimeEnvironment,
) {
  if (args.port < 0 || args.port > 65_535) throw new TaskInputError(`--port ${args.port} is not a TCP port (0..65535)`);
  if (args.maxBytes < 1) throw new TaskInputError("--max-bytes must be at least 1");
  if (args.publicUrl !== "" && !/^https?:\/\//.test(args.publicUrl)) {
    throw new TaskInputError(`--public-url must start with http:// or https://, got ${args.publicUrl}`);
  }
  const dir = path.resolve(hre.config.paths.root, args.dir);
  const logger = createLogger("store", { pretty: args.pretty });
  let store;
  try {
    store = await startInputStore({
      dir,
      host: args.host,
      port: args.port,
      maxBytes: args.maxBytes,
      publicUrl: args.publicUrl === "" ? undefined : args.publicUrl,
      logger,
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EADDRINUSE") {
      throw new TaskInputError(`port ${args.port} on ${args.host} is in use: is a store already running? Pick --port`);
    }
    throw error;
  }
  console.log(`input store at ${store.url} (URIs under ${store.publicUrl}/inputs/), data in ${dir}`);
  console.log(`requesters: --store ${store.url} or OPG_STORE_URL=${store.url}; Ctrl-C stops it`);
  if (store.publicUrl.startsWith("http://127.0.0.1") && args.host !== "127.0.0.1" && args.host !== "localhost") {
    console.log("note: workers on other machines need --public-url <url they reach this store at>");
  }
  await untilSignal();
  await store.close();
  logger.info("store.stopped", { dir });
}
