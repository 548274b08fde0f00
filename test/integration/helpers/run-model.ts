/**
 * Runs one ONNX model file on canonical inputs in its own process and prints the canonical outputs, so tests can
 * compare the results of separate processes (a worker and a verifier never share one).
 *
 *   node --import tsx test/integration/helpers/run-model.ts <job.json>
 *
 * The job file is a {@link RunModelJob}; stdout receives one JSON line, a {@link RunModelResult}. The exit code is 1
 * (with the reason on stderr) when the job cannot be read or the model cannot be loaded.
 *
 * Mocha loads every file under test/integration: this one only does its work when it is the process's entry script.
 */
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

import { defaultSessionOptions, ModelRuntime } from "../../../offchain/model/runtime.js";

/** What to run. */
export interface RunModelJob {
  /** Path of the `.onnx` file. */
  model: string;
  /** The model's registered output decimals. */
  outputDecimals: number;
  /** Canonical input encodings, `0x`-hex. */
  inputs: string[];
  /** onnxruntime intra-op threads (default 1, the runtime's default). */
  intraOpNumThreads?: number;
}

/** What the process prints: per input, the bytes a worker would post (`0x`-hex), and its pid. */
export interface RunModelResult {
  pid: number;
  sha256: string;
  outputs: string[];
}

async function main(jobPath: string): Promise<void> {
  const job = JSON.parse(await readFile(jobPath, "utf8")) as RunModelJob;
  const bytes = new Uint8Array(await readFile(job.model));
  const sha256 = `0x${createHash("sha256").update(bytes).digest("hex")}`;
  const runtime = new ModelRuntime({
    sessionOptions: { ...defaultSessionOptions(), intraOpNumThreads: job.intraOpNumThreads ?? 1 },
  });
  try {
    const model = await runtime.load(sha256, bytes);
    const outputs: string[] = [];
    for (const input of job.inputs) {
      const outcome = await runtime.run(model, Buffer.from(input.replace(/^0x/, ""), "hex"), job.outputDecimals);
      outputs.push(`0x${Buffer.from(outcome.output).toString("hex")}`);
    }
    const result: RunModelResult = { pid: process.pid, sha256, outputs };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await runtime.close();
  }
}

const entry = process.argv[1];
if (entry !== undefined && path.resolve(entry) === fileURLToPath(import.meta.url)) {
  const jobPath = process.argv[2];
  if (jobPath === undefined) {
    process.stderr.write("usage: node --import tsx test/integration/helpers/run-model.ts <job.json>\n");
    process.exitCode = 1;
  } else {
    main(jobPath).catch((error: unknown) => {
      process.stderr.write(`run-model: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 1;
    });
  }
}
