import { expect } from "chai";

import {
  applyMutant,
  generateMutants,
  maskSource,
  type Mutant,
  OPERATOR_NAMES,
  type OperatorName,
  sampleMutants,
} from "../../scripts/mutation/operators.js";

/** Wraps statements in a contract function (line 5 is the first statement line, with no `extra`). */
function inFunction(body: string, extra = ""): string {
  return `// SPDX-License-Identifier: MIT\npragma solidity 0.8.28;\ncontract C {\n${extra}    function f(address a, address b, uint256 x, uint256 y) external {\n${body}\n    }\n}\n`;
}

function mutate(src: string, operators: readonly OperatorName[] = OPERATOR_NAMES): Mutant[] {
  return generateMutants("contracts/C.sol", src, { operators });
}

/** The mutated text of each mutant of one operator, as `after` (trimmed line(s)). */
function afters(src: string, operator: OperatorName): string[] {
  return mutate(src, [operator]).map((m) => m.after);
}

describe("mutation operators", function () {
  describe("scanner", function () {
    it("masks comments and string contents, keeping offsets and newlines", function () {
      const src = "a = 1; // x < y\n/* b\n + 1 */ s = \"p < q\"; t = 'it\\'s';";
      const masked = maskSource(src);
      expect(masked).to.have.length(src.length);
      expect(masked.split("\n")).to.have.length(src.split("\n").length);
      expect(masked).to.not.match(/[<+]|p|it/);
      expect(masked).to.contain("a = 1;");
      expect(masked).to.contain('s = "     ";');
    });

    it("leaves comments, NatSpec and strings untouched", function () {
      const src = inFunction(
        [
          "        /// @dev a < b, x + 1, true, require(x) and onlyOwner",
          "        // if (a == b) revert E();",
          '        string memory s = "a < b + 1 == true";',
          "        /* x > y ? x * 2 : y / 2 */",
        ].join("\n"),
      );
      expect(mutate(src)).to.deep.equal([]);
    });

    it("never mutates assembly blocks", function () {
      const src = inFunction(
        '        assembly ("memory-safe") {\n            let z := add(x, 1)\n            if lt(x, y) { z := 0 }\n        }',
      );
      expect(mutate(src)).to.deep.equal([]);
    });

    it("mutates modifier and constructor bodies but not declarations outside bodies", function () {
      const src = [
        "contract C {",
        "    event E(uint256 a, uint256 b);",
        "    function g(uint256 a) external view returns (uint256);",
        "    modifier m() {",
        "        if (x < 1) revert E2();",
        "        _;",
        "    }",
        "    constructor() {",
        "        y = x > 2;",
        "    }",
        "}",
      ].join("\n");
      expect(afters(src, "cmp-flip")).to.deep.equal(["if (x <= 1) revert E2();", "y = x >= 2;"]);
    });
  });

  describe("cmp-flip", function () {
    it("flips <, <=, >, >=, ==, != and nothing else", function () {
      const src = inFunction("        if (x < y && x <= y || x > y && x >= y || x == y || x != y) z = x << 2 >> 1;");
      expect(afters(src, "cmp-flip")).to.deep.equal([
        "if (x <= y && x <= y || x > y && x >= y || x == y || x != y) z = x << 2 >> 1;",
        "if (x < y && x < y || x > y && x >= y || x == y || x != y) z = x << 2 >> 1;",
        "if (x < y && x <= y || x >= y && x >= y || x == y || x != y) z = x << 2 >> 1;",
        "if (x < y && x <= y || x > y && x > y || x == y || x != y) z = x << 2 >> 1;",
        "if (x < y && x <= y || x > y && x >= y || x != y || x != y) z = x << 2 >> 1;",
        "if (x < y && x <= y || x > y && x >= y || x == y || x == y) z = x << 2 >> 1;",
      ]);
    });
  });

  describe("check-remove", function () {
    it("removes require(...) and `if (...) revert ...;`, braced or not, keeping the line count", function () {
      const src = inFunction(
        [
          '        require(x > 0, "zero");',
          "        if (x == 0) revert Zero();",
          "        if (y > x) {",
          "            revert TooBig(y, x);",
          "        }",
          "        z = 1;",
        ].join("\n"),
      );
      const ms = mutate(src, ["check-remove"]);
      expect(ms.map((m) => m.id)).to.deep.equal([
        "contracts/C.sol:5:check-remove",
        "contracts/C.sol:6:check-remove",
        "contracts/C.sol:7:check-remove",
      ]);
      expect(ms.map((m) => m.after)).to.deep.equal(["<removed>", "<removed>", "<removed>"]);
      for (const m of ms) expect(applyMutant(src, m).split("\n")).to.have.length(src.split("\n").length);
      expect(applyMutant(src, ms[2]!)).to.contain("        z = 1;");
    });

    it("keeps an if/else and replaces an unbraced body by {}", function () {
      const src = inFunction(
        "        if (x == 0) revert Zero(); else z = 1;\n        for (uint256 i; i < x; ++i) if (i == y) revert Bad();",
      );
      const ms = mutate(src, ["check-remove"]);
      expect(ms.map((m) => m.after)).to.deep.equal(["for (uint256 i; i < x; ++i) {}"]);
    });

    it("removes bare _check…/_require… calls, not assignments from them", function () {
      const src = inFunction(
        "        _checkBounds(x, 1, 2);\n        Req storage r = _requireStatus(x);\n        _requireStatus(y);",
      );
      expect(mutate(src, ["check-remove"]).map((m) => m.line)).to.deep.equal([5, 7]);
    });
  });

  describe("access-remove", function () {
    it("removes access modifiers (only…, declared modifiers), never nonReentrant", function () {
      const src = [
        "contract C {",
        "    modifier gated() {",
        "        _;",
        "    }",
        "    function a() external onlyOwner nonReentrant returns (uint256) {}",
        "    function b() external gated onlyRole(ADMIN) {}",
        "    function c() external nonReentrant {}",
        "}",
      ].join("\n");
      expect(afters(src, "access-remove")).to.deep.equal([
        "function a() external nonReentrant returns (uint256) {}",
        "function b() external onlyRole(ADMIN) {}",
        "function b() external gated {}",
      ]);
    });

    it("classifies checks on msg.sender and permissions as access checks", function () {
      const src = inFunction(
        "        if (msg.sender != hub) revert NotHub(msg.sender);\n        if (permissions[a] & SLASHER == 0) revert NoPermission(a);\n        _checkPermission(SLASHER);\n        if (x == 0) revert Zero();",
      );
      const ms = mutate(src, ["access-remove", "check-remove"]);
      expect(ms.map((m) => `${m.line}:${m.operator}`)).to.deep.equal([
        "5:access-remove",
        "6:access-remove",
        "7:access-remove",
        "8:check-remove",
      ]);
    });
  });

  describe("off-by-one", function () {
    it("turns a majority quorum into half and back", function () {
      const src = inFunction("        ok = votes >= size / 2 + 1;\n        ok2 = votes > size / 2;");
      expect(afters(src, "off-by-one")).to.deep.equal(["ok = votes >= size / 2;", "ok2 = votes > size / 2 + 1;"]);
    });

    it("removes + 1 / - 1 but not 1 * y, 1 days or 10", function () {
      const src = inFunction("        t = x + 1;\n        u = y - 1;\n        v = x + 1 * y + 1 days - 10;");
      expect(afters(src, "off-by-one")).to.deep.equal(["t = x;", "u = y;"]);
    });

    it("moves window ends by one second or block", function () {
      const src = inFunction("        end = block.timestamp + window;\n        ticket = block.number + 1;");
      expect(afters(src, "off-by-one")).to.deep.equal([
        "end = block.timestamp + 1 + window;",
        "ticket = block.number;",
      ]);
    });

    it("moves numeric constants by one (not below zero)", function () {
      const src = [
        "contract C {",
        "    uint256 public constant QUORUM = 2;",
        "    uint256 internal constant WINDOW = 10 minutes;",
        "    uint256 internal constant NONE = 0;",
        '    bytes32 internal constant TAG = "tag";',
        "}",
      ].join("\n");
      expect(afters(src, "off-by-one")).to.deep.equal([
        "uint256 public constant QUORUM = 2 + 1;",
        "uint256 public constant QUORUM = 2 - 1;",
        "uint256 internal constant WINDOW = (10 minutes) + 1;",
        "uint256 internal constant WINDOW = (10 minutes) - 1;",
        "uint256 internal constant NONE = 0 + 1;",
      ]);
    });
  });

  describe("jail-remove", function () {
    it("passes false for the jail flag of a slash call (once, not also as bool-flip)", function () {
      const src = inFunction("        uint256 s = staking.slash(a, x, y, true);");
      const ms = mutate(src);
      expect(ms.map((m) => `${m.operator}: ${m.after}`)).to.deep.equal([
        "jail-remove: uint256 s = staking.slash(a, x, y, false);",
      ]);
    });

    it("removes jailed/jailedUntil writes and _jail calls, not reads", function () {
      const src = inFunction(
        "        op.jailedUntil = uint64(x);\n        _operators[a].jailed = true;\n        uint256 until = op.jailedUntil;\n        _jail(a, x);",
      );
      expect(mutate(src, ["jail-remove"]).map((m) => m.line)).to.deep.equal([5, 6, 8]);
    });
  });

  describe("swap-recipients", function () {
    it("swaps the two address arguments of a transfer", function () {
      const src = inFunction("        token.safeTransferFrom(msg.sender, address(this), x);");
      expect(afters(src, "swap-recipients")).to.deep.equal(["token.safeTransferFrom(address(this), msg.sender, x);"]);
    });

    it("swaps the recipients of two successive credits", function () {
      const src = inFunction(
        "        _credit(id, req.worker, x, PAY);\n        _credit(id, treasury, y, REST);",
        "    address treasury;\n",
      );
      expect(afters(src, "swap-recipients")).to.deep.equal([
        "_credit(id, treasury, x, PAY); … _credit(id, req.worker, y, REST);",
      ]);
    });

    it("swaps the keys of successive credit writes and the entries of an accounts array", function () {
      const src = inFunction(
        "        credits[a] += x;\n        credits[b] += y;\n        address[] memory accounts = new address[](2);\n        accounts[0] = a;\n        accounts[1] = b;",
      );
      expect(afters(src, "swap-recipients")).to.deep.equal([
        "credits[b] += x; … credits[a] += y;",
        "accounts[0] = b; … accounts[1] = a;",
      ]);
    });

    it("does not take a uint for an address", function () {
      const src = inFunction(
        "        _credit(id, a, x, PAY);\n        _credit(id, _roleWorker, y, PAY);",
        "    uint8 internal _roleWorker;\n",
      );
      expect(afters(src, "swap-recipients")).to.deep.equal([]);
    });
  });

  describe("exclusion-skip", function () {
    it("removes a skip and drops each party test of the condition", function () {
      const src = inFunction("        if (v == req.requester || v == req.worker) continue;");
      expect(afters(src, "exclusion-skip")).to.deep.equal([
        "<removed>",
        "if (v == req.worker) continue;",
        "if (v == req.requester) continue;",
      ]);
    });

    it("drops operands of && chains and of require conditions", function () {
      const src = inFunction('        if (a != b && x > 0) z = 1;\n        require(x > 0 || y > 0, "none");');
      expect(afters(src, "exclusion-skip")).to.deep.equal([
        "if (x > 0) z = 1;",
        "if (a != b) z = 1;",
        'require(y > 0, "none");',
        'require(x > 0, "none");',
      ]);
    });

    it("passes address(0) instead of a party to a draw, and removes entries of an exclusion list", function () {
      const src = inFunction(
        "        w = staking.assignWorker(seed, a, b, x);\n        excluded[0] = a;\n        address[] memory list = new address[](1);\n        list[0] = b;\n        amounts[0] = x;",
      );
      expect(mutate(src, ["exclusion-skip"]).map((m) => `${m.line}: ${m.after}`)).to.deep.equal([
        "5: w = staking.assignWorker(seed, address(0), b, x);",
        "5: w = staking.assignWorker(seed, a, address(0), x);",
        "6: <removed>",
        "8: <removed>",
      ]);
    });
  });

  describe("arith-swap and bool-flip", function () {
    it("swaps binary + - * / and compound assignments, not unary minus or ++", function () {
      const src = inFunction("        z = (x * y) / 2 - x + y;\n        z -= x;\n        ++z;\n        w = -v;");
      expect(afters(src, "arith-swap")).to.deep.equal([
        "z = (x / y) / 2 - x + y;",
        "z = (x * y) * 2 - x + y;",
        "z = (x * y) / 2 + x + y;",
        "z = (x * y) / 2 - x - y;",
        "z += x;",
      ]);
    });

    it("flips boolean literals", function () {
      const src = inFunction("        ok = true;\n        return false;");
      expect(afters(src, "bool-flip")).to.deep.equal(["ok = false;", "return true;"]);
    });
  });

  describe("emit-remove", function () {
    it("is off by default and removes emits when asked", function () {
      const src = inFunction("        emit Paid(a, x);");
      expect(generateMutants("contracts/C.sol", src)).to.deep.equal([]);
      expect(afters(src, "emit-remove")).to.deep.equal(["<removed>"]);
    });
  });

  describe("ids and sampling", function () {
    it("identifies mutants as file:line:operator, with #n on a shared line, deterministically", function () {
      const src = inFunction("        if (x < y || x > y) z = 1;");
      const ids = mutate(src, ["cmp-flip"]).map((m) => m.id);
      expect(ids).to.deep.equal(["contracts/C.sol:5:cmp-flip#1", "contracts/C.sol:5:cmp-flip#2"]);
      expect(mutate(src)).to.deep.equal(mutate(src));
    });

    it("samples deterministically, spread over files and operators", function () {
      const pool = ["A.sol", "B.sol"].flatMap((file) =>
        (["cmp-flip", "arith-swap", "bool-flip"] as const).flatMap((operator) =>
          Array.from({ length: 10 }, (_, k) => ({ file, operator, k })),
        ),
      );
      const a = sampleMutants(pool, 12, 1);
      expect(a).to.deep.equal(sampleMutants(pool, 12, 1));
      expect(a).to.not.deep.equal(sampleMutants(pool, 12, 2));
      expect(a).to.have.length(12);
      const groups = new Set(a.map((m) => `${m.file}:${m.operator}`));
      expect(groups.size).to.equal(6);
      expect(a.map((m) => pool.indexOf(m))).to.deep.equal([...a.map((m) => pool.indexOf(m))].sort((x, y) => x - y));
      expect(sampleMutants(pool, 100, 1)).to.deep.equal(pool);
    });
  });
});
