/**
 * `npm run app`: the web app (Chat, Explorer, Observatory) and the OpenAI-style API for a running network.
 *
 *   npm run app                                     next to `npm run network` (http://127.0.0.1:8080)
 *   OPG_RPC_URL=https://… OPG_DEPLOYMENT=deployments/sepolia.json OPG_APP_PRIVATE_KEY=0x… npm run app
 *
 * OPG_APP_PORT (8080) and OPG_APP_HOST (127.0.0.1) choose where it listens. Ctrl-C stops it.
 */
import { launchApp } from "../offchain/app/launch.js";
import { createLogger } from "../offchain/node/logger.js";

const logger = createLogger("app", { pretty: true, level: "info" });
try {
  const app = await launchApp({
    root: process.cwd(),
    rpcUrl: process.env.OPG_RPC_URL ?? "http://127.0.0.1:8545",
    port: Number(process.env.OPG_APP_PORT ?? "8080"),
    host: process.env.OPG_APP_HOST,
    deployment: process.env.OPG_DEPLOYMENT,
    apiPrivateKey: process.env.OPG_APP_PRIVATE_KEY,
    logger,
  });
  console.log(
    `OPG app on ${app.url}  (chat ${app.url}/#/chat, explorer ${app.url}/#/explorer, observatory ${app.url}/#/observatory)`,
  );
  console.log(`OpenAI-style API: POST ${app.url}/v1/chat/completions, GET ${app.url}/v1/models`);
  const stop = async () => {
    await app.close();
    process.exit(0);
  };
  process.once("SIGINT", () => void stop());
  process.once("SIGTERM", () => void stop());
} catch (error) {
  console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
