import { mkdtemp } from "node:fs/promises";
import os from "node:os";
import path from "node:path";

import { expect } from "chai";
import { network } from "hardhat";

import { OpgClient } from "../../offchain/client/client.js";
import { encodeTensors } from "../../offchain/codec/tensor.js";
import { settleAll, startLocalNetwork } from "../../offchain/devnet/network.js";
import { Mode } from "../../offchain/devnet/protocol.js";
import { memoryLogger } from "../../offchain/node/logger.js";

describe("Model zoo end to end: real models, real answers, verified on-chain", function () {
  it("Iris and MNIST requests in every mode settle with the held-out labels as predictions", async function () {
    this.timeout(180_000);
    const connection = await network.create();
    const dir = await mkdtemp(path.join(os.tmpdir(), "opg-zoo-e2e-"));
    const net = await startLocalNetwork(connection, {
      dir,
      logger: memoryLogger(),
      workers: 3,
      verifiers: 4,
      models: "zoo",
    });
    try {
      expect(net.models.map((m) => `${m.name}:${Mode[m.mode]}`)).to.deep.equal([
        "iris-mlp:NONE",
        "iris-mlp:OPTIMISTIC",
        "iris-mlp:COMMITTEE",
        "mnist-mlp:OPTIMISTIC",
        "mnist-mlp:COMMITTEE",
      ]);
      const client = new OpgClient(net.contracts.addresses, net.actors.requester);
      const sent: Array<{ id: bigint; label: number }> = [];
      for (const m of net.models) {
        for (const example of m.examples!.slice(0, 2)) {
          sent.push({
            id: (await client.request(m.id, encodeTensors([example.input]))).requestId,
            label: example.label,
          });
        }
      }
      await settleAll(
        net,
        connection,
        sent.map((s) => s.id),
      );
      let correct = 0;
      for (const { id, label } of sent) {
        const record = await client.status(id);
        expect(record.status, `request ${id}`).to.equal("Finalized");
        expect(record.stages.map((s) => s.name)).to.deep.equal([
          "requested",
          "assigned",
          "computed",
          "verified",
          "settled",
        ]);
        const scores = record.output!.tensors![0]!.data as bigint[];
        const predicted = scores.reduce((best, v, i) => (v > scores[best]! ? i : best), 0);
        if (predicted === label) correct += 1;
      }
      // Both models are above 90 % held-out accuracy; on these ten examples every prediction is right.
      expect(correct).to.equal(sent.length);
    } finally {
      await net.stop();
    }
  });
});
