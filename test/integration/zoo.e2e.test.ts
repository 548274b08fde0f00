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
      const sent: Array<{ id: bigint; label: number; mode: Mode }> = [];
      for (const m of net.models) {
        for (const example of m.examples!.slice(0, 2)) {
          sent.push({
            id: (await client.request(m.id, encodeTensors([example.input]))).requestId,
            label: example.label,
            mode: m.mode,
          });
        }
      }
      await settleAll(
        net,
        connection,
        sent.map((s) => s.id),
      );
      let correct = 0;
      for (const { id, label, mode } of sent) {
        const record = await client.status(id);
        expect(record.status, `request ${id}`).to.equal("Finalized");
        expect(record.mode).to.equal(Mode[mode]);
        expect(record.dispute).to.equal(null);
        expect(record.settlement?.kind).to.equal("finalized");
        if (record.settlement?.kind === "finalized") {
          expect(record.settlement.workerPay).to.be.greaterThan(0n);
          // COMMITTEE: the members re-ran the model, committed and revealed agreement with all three seats, and
          // share the verifier fee; otherwise no verifier did work on record and the worker takes it.
          expect(record.settlement.verifierPay > 0n).to.equal(mode === Mode.COMMITTEE);
        }
        if (mode === Mode.COMMITTEE) {
          expect(record.committee).to.have.length(3);
          expect(record.attestations.reduce((n, a) => n + a.seats, 0)).to.equal(3);
          expect(record.attestations.every((a) => a.agree)).to.equal(true);
        }
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
