/**
 * The web app's build: `npx vite build --config app/vite.config.ts` writes app/dist, which `npm run app` serves
 * next to its /api and /rpc routes. In development (`npx vite --config app/vite.config.ts`) those two routes are
 * proxied to a running app server, OPG_APP_SERVER (default http://127.0.0.1:8080).
 */
import path from "node:path";
import { fileURLToPath } from "node:url";

import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

const here = path.dirname(fileURLToPath(import.meta.url));
const appServer = process.env.OPG_APP_SERVER ?? "http://127.0.0.1:8080";

export default defineConfig({
  root: here,
  base: "./",
  plugins: [react()],
  build: { outDir: path.join(here, "dist"), emptyOutDir: true, chunkSizeWarningLimit: 2_000 },
  server: { proxy: { "/api": appServer, "/rpc": appServer } },
  preview: { proxy: { "/api": appServer, "/rpc": appServer } },
});
