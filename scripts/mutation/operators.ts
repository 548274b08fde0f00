/**
 * Mutant generation for Solidity sources, from text, with a light Solidity-aware scanner: comments and string
 * literals are masked out, the code is tokenised, function/modifier/constructor bodies are located (assembly blocks
 * excluded), and each operator rewrites token spans inside them. No compiler is needed, so generation is instant and
 * deterministic; a mutant that does not compile is reported as "invalid" by the runner.
 *
 * Every mutant is a list of non-overlapping text edits of one file; removals keep the file's line count, so each
 * mutant is identified as `file:line:operator` (with `#n` when one line has several of the same operator).
 */

// ------------------------------------------------------------------------------------------------- public types

export type OperatorName =
  | "access-remove"
  | "check-remove"
  | "jail-remove"
  | "exclusion-skip"
  | "swap-recipients"
  | "off-by-one"
  | "cmp-flip"
  | "arith-swap"
  | "bool-flip"
  | "emit-remove";

export interface OperatorInfo {
  name: OperatorName;
  description: string;
  /** Run unless `--operators` says otherwise. */
  defaultOn: boolean;
}

/** In priority order: when two operators produce the same mutated file, the earlier one keeps it. */
export const OPERATORS: readonly OperatorInfo[] = [
  {
    name: "access-remove",
    description:
      "access check removed: a modifier such as onlyOwner/onlyHub/only…, a check on msg.sender or a permission, or a _check…/_require…/_only… call about the caller",
    defaultOn: true,
  },
  {
    name: "check-remove",
    description: "require(...) removed, `if (...) revert ...;` removed, bare _check…/_require…/_validate… call removed",
    defaultOn: true,
  },
  {
    name: "jail-remove",
    description:
      "jail skipped: `true` → `false` in a slash/jail call, jailed/jailedUntil assignment or _jail… call removed",
    defaultOn: true,
  },
  {
    name: "exclusion-skip",
    description:
      "skipped exclusion / weakened condition: `if (...) continue;` removed, one operand of a ||/&& condition dropped, an address passed to a draw/assign/exclude call replaced by address(0), a write into an excluded/parties array removed",
    defaultOn: true,
  },
  {
    name: "swap-recipients",
    description:
      "two address arguments of a credit/transfer/pay call swapped, or the recipients of two neighbouring credits (calls or mapping/array writes) swapped",
    defaultOn: true,
  },
  {
    name: "off-by-one",
    description:
      "`+ 1`/`- 1` removed, `/ 2` → `/ 2 + 1`, `block.timestamp + x` → `block.timestamp + 1 + x` (also block.number), numeric constant ±1",
    defaultOn: true,
  },
  { name: "cmp-flip", description: "`<`↔`<=`, `>`↔`>=`, `==`↔`!=`", defaultOn: true },
  { name: "arith-swap", description: "`+`↔`-`, `*`↔`/` (also `+=`↔`-=`, `*=`↔`/=`)", defaultOn: true },
  { name: "bool-flip", description: "`true`↔`false`", defaultOn: true },
  { name: "emit-remove", description: "`emit ...;` removed (low value, off by default)", defaultOn: false },
];

export const OPERATOR_NAMES: readonly OperatorName[] = OPERATORS.map((o) => o.name);
export const DEFAULT_OPERATORS: readonly OperatorName[] = OPERATORS.filter((o) => o.defaultOn).map((o) => o.name);

export interface Edit {
  start: number;
  end: number;
  text: string;
}

export interface Mutant {
  /** `file:line:operator`, plus `#n` when the same line has several mutants of the operator. */
  id: string;
  file: string;
  /** 1-based line of the first edit. */
  line: number;
  operator: OperatorName;
  edits: Edit[];
  /** The original line(s) touched, trimmed. */
  before: string;
  /** The same line(s) after the mutation, trimmed ("<removed>" when nothing is left). */
  after: string;
}

export interface GenerateOptions {
  /** Operators to apply (default: {DEFAULT_OPERATORS}). */
  operators?: readonly OperatorName[];
  /**
   * Names declared with type `address` elsewhere (e.g. struct fields of imported interfaces); used to recognise
   * address arguments. Names declared in `source` itself are found automatically.
   */
  addressNames?: Iterable<string>;
}

// ------------------------------------------------------------------------------------------------- scanner

/** Replaces comments and the contents of string literals by spaces (newlines kept), so offsets stay the same. */
export function maskSource(src: string): string {
  const out = src.split("");
  const n = src.length;
  let i = 0;
  const blank = (from: number, to: number) => {
    for (let k = from; k < to; k++) if (out[k] !== "\n" && out[k] !== "\r") out[k] = " ";
  };
  while (i < n) {
    const c = src[i];
    if (c === "/" && src[i + 1] === "/") {
      let j = i;
      while (j < n && src[j] !== "\n") j++;
      blank(i, j);
      i = j;
    } else if (c === "/" && src[i + 1] === "*") {
      const close = src.indexOf("*/", i + 2);
      const j = close === -1 ? n : close + 2;
      blank(i, j);
      i = j;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && src[j] !== c && src[j] !== "\n") j += src[j] === "\\" ? 2 : 1;
      blank(i + 1, Math.min(j, n));
      i = j + 1;
    } else {
      i++;
    }
  }
  return out.join("");
}

export type TokenKind = "ident" | "number" | "string" | "punct";

export interface Token {
  kind: TokenKind;
  text: string;
  start: number;
  end: number;
}

const PUNCTUATORS = [
  ">>>=",
  "<<=",
  ">>=",
  ">>>",
  "**",
  "&&",
  "||",
  "==",
  "!=",
  "<=",
  ">=",
  "=>",
  "->",
  "++",
  "--",
  "+=",
  "-=",
  "*=",
  "/=",
  "%=",
  "|=",
  "&=",
  "^=",
  "<<",
  ">>",
  ":=",
];

/** Tokenises masked source (see {maskSource}). */
export function tokenize(masked: string): Token[] {
  const tokens: Token[] = [];
  const n = masked.length;
  let i = 0;
  while (i < n) {
    const c = masked[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const start = i;
    if (/[A-Za-z_$]/.test(c)) {
      while (i < n && /[\w$]/.test(masked[i]!)) i++;
      tokens.push({ kind: "ident", text: masked.slice(start, i), start, end: i });
    } else if (/[0-9]/.test(c) || (c === "." && /[0-9]/.test(masked[i + 1] ?? ""))) {
      if (c === "0" && /[xX]/.test(masked[i + 1] ?? "")) {
        i += 2;
        while (i < n && /[0-9a-fA-F_]/.test(masked[i]!)) i++;
      } else {
        while (i < n && /[0-9_.]/.test(masked[i]!)) i++;
        if (/[eE]/.test(masked[i] ?? "")) {
          i++;
          if (masked[i] === "-") i++;
          while (i < n && /[0-9_]/.test(masked[i]!)) i++;
        }
      }
      tokens.push({ kind: "number", text: masked.slice(start, i), start, end: i });
    } else if (c === '"' || c === "'") {
      i++;
      while (i < n && masked[i] !== c && masked[i] !== "\n") i++;
      i++;
      tokens.push({ kind: "string", text: masked.slice(start, i), start, end: i });
    } else {
      const p = PUNCTUATORS.find((q) => masked.startsWith(q, i)) ?? c;
      i += p.length;
      tokens.push({ kind: "punct", text: p, start, end: i });
    }
  }
  return tokens;
}

interface Callable {
  /** Token index of `function`/`modifier`/`constructor`/`fallback`/`receive`. */
  keyword: number;
  /** Token index of the body's `{` (the header is keyword..open-1). */
  open: number;
  /** Token index of the body's `}`. */
  close: number;
}

interface Structure {
  tokens: Token[];
  /** Index of the matching bracket for every `(`, `)`, `[`, `]`, `{`, `}`. */
  match: Map<number, number>;
  callables: Callable[];
  /** Token indices inside a body (and not in assembly) are mutable. */
  inBody: boolean[];
  /** Declarations `constant NAME = <expr>;` outside bodies: token index range of <expr>. */
  constants: Array<{ from: number; to: number }>;
}

const CALLABLE_KEYWORDS = new Set(["function", "modifier", "constructor", "fallback", "receive"]);

function analyse(masked: string): Structure {
  const tokens = tokenize(masked);
  const match = new Map<number, number>();
  const stack: number[] = [];
  const pairs: Record<string, string> = { ")": "(", "]": "[", "}": "{" };
  tokens.forEach((t, i) => {
    if (t.kind !== "punct") return;
    if (t.text === "(" || t.text === "[" || t.text === "{") stack.push(i);
    else if (t.text in pairs) {
      // Unbalanced input (a snippet): match the nearest opener of the same kind.
      for (let s = stack.length - 1; s >= 0; s--) {
        const o = stack[s]!;
        if (tokens[o]!.text === pairs[t.text]) {
          match.set(o, i);
          match.set(i, o);
          stack.length = s;
          break;
        }
      }
    }
  });

  const callables: Callable[] = [];
  const inBody: boolean[] = new Array<boolean>(tokens.length).fill(false);
  const constants: Array<{ from: number; to: number }> = [];
  let i = 0;
  while (i < tokens.length) {
    const t = tokens[i]!;
    const isCallable =
      t.kind === "ident" &&
      CALLABLE_KEYWORDS.has(t.text) &&
      (t.text === "function" || t.text === "modifier" || t.text === "constructor" || tokens[i + 1]?.text === "(");
    if (isCallable) {
      // The header ends at the first `{` or `;` outside parentheses.
      let j = i + 1;
      while (j < tokens.length) {
        const u = tokens[j]!;
        if (u.text === "(" && match.has(j)) {
          j = match.get(j)! + 1;
          continue;
        }
        if (u.text === "{" || u.text === ";") break;
        j++;
      }
      const u = tokens[j];
      if (u?.text === "{" && match.has(j)) {
        const close = match.get(j)!;
        callables.push({ keyword: i, open: j, close });
        for (let k = j + 1; k < close; k++) inBody[k] = true;
        i = close + 1;
        continue;
      }
      i = j + 1;
      continue;
    }
    if (t.text === "constant" && tokens[i + 1]?.kind === "ident" && tokens[i + 2]?.text === "=") {
      let j = i + 3;
      while (j < tokens.length && tokens[j]!.text !== ";") j++;
      constants.push({ from: i + 3, to: j });
      i = j;
      continue;
    }
    i++;
  }
  // Assembly blocks are Yul, not Solidity: never mutated.
  tokens.forEach((t, k) => {
    if (t.text !== "assembly" || !inBody[k]) return;
    let j = k + 1;
    if (tokens[j]?.kind === "string") j++;
    if (tokens[j]?.text === "(" && match.has(j)) j = match.get(j)! + 1;
    if (tokens[j]?.text === "{" && match.has(j)) for (let m = k; m <= match.get(j)!; m++) inBody[m] = false;
  });
  return { tokens, match, callables, inBody, constants };
}

// ------------------------------------------------------------------------------------------------- helpers

const KEYWORDS = new Set([
  "return",
  "returns",
  "emit",
  "revert",
  "if",
  "else",
  "for",
  "while",
  "do",
  "new",
  "delete",
  "require",
  "assert",
  "memory",
  "storage",
  "calldata",
  "public",
  "private",
  "internal",
  "external",
  "view",
  "pure",
  "payable",
  "virtual",
  "override",
  "constant",
  "immutable",
  "unchecked",
  "try",
  "catch",
]);
const UNITS = new Set(["wei", "gwei", "ether", "seconds", "minutes", "hours", "days", "weeks"]);
const TERM_OPS = new Set(["*", "/", "%", "**"]);

/** Whether the token ends an operand (so a following `+`/`-` is binary). */
function endsOperand(t: Token | undefined): boolean {
  if (t === undefined) return false;
  if (t.kind === "number" || t.kind === "string") return true;
  if (t.kind === "ident") return !KEYWORDS.has(t.text);
  return t.text === ")" || t.text === "]";
}

const ADDRESS_NAME =
  /^_*(worker|requester|treasury|challenger|recipient|account|operator|owner|sender|receiver|to|from|juror|member|verifier|consumer|defender|winner|loser|payer|payee|beneficiary|late|party|excluded?[A-Z]?\w*)s?_*$|(Recipient|Address|Account|Owner|Operator|Worker|Requester|Treasury|Challenger)_*$/;

const DECL_MODIFIERS =
  "(?:(?:public|private|internal|external|immutable|constant|memory|storage|calldata|indexed|override)\\s+)*";

/**
 * Names declared with type `address` (or `address[]`) in a Solidity source, and names declared with a value type
 * that is not an address (so that e.g. `uint8 _roleWorker` is never taken for an address).
 */
export function collectAddressNames(src: string): { scalars: Set<string>; arrays: Set<string>; others: Set<string> } {
  const masked = maskSource(src);
  const scalars = new Set<string>();
  const arrays = new Set<string>();
  const others = new Set<string>();
  const other = new RegExp(
    `\\b(?:u?int\\d*|bool|bytes\\d*|string)(?:\\s*\\[\\s*\\w*\\s*\\])?\\s+${DECL_MODIFIERS}([A-Za-z_$][\\w$]*)`,
    "g",
  );
  for (const m of masked.matchAll(other)) if (!KEYWORDS.has(m[1]!)) others.add(m[1]!);
  const re =
    /\baddress(\s+payable)?(\s*\[\s*\w*\s*\])?\s+(?:(?:public|private|internal|external|immutable|constant|memory|storage|calldata|indexed|override)\s+)*([A-Za-z_$][\w$]*)/g;
  for (const m of masked.matchAll(re)) {
    const name = m[3]!;
    if (KEYWORDS.has(name)) continue;
    (m[2] ? arrays : scalars).add(name);
  }
  return { scalars, arrays, others };
}

/** Relative import paths of a source (to read address-typed struct fields of imported interfaces). */
export function relativeImports(src: string): string[] {
  const out: string[] = [];
  for (const m of src.matchAll(/^\s*import\s+[^;]*?["'](\.{1,2}\/[^"']+)["']\s*;/gm)) out.push(m[1]!);
  return out;
}

class Generator {
  readonly tokens: Token[];
  readonly match: Map<number, number>;
  readonly inBody: boolean[];
  readonly found: Array<{ operator: OperatorName; edits: Edit[] }> = [];
  private readonly lineStarts: number[];
  private readonly addrScalars: Set<string>;
  private readonly addrArrays: Set<string>;
  private readonly nonAddress: Set<string>;
  readonly modifierNames = new Set<string>();

  constructor(
    readonly src: string,
    readonly s: Structure,
    extraAddressNames: Iterable<string>,
  ) {
    this.tokens = s.tokens;
    this.match = s.match;
    this.inBody = s.inBody;
    this.lineStarts = [0];
    for (let i = 0; i < src.length; i++) if (src[i] === "\n") this.lineStarts.push(i + 1);
    const names = collectAddressNames(src);
    this.addrScalars = names.scalars;
    this.addrArrays = names.arrays;
    this.nonAddress = names.others;
    for (const n of extraAddressNames) this.addrScalars.add(n);
    for (const c of s.callables) {
      const kw = this.tokens[c.keyword]!;
      const name = this.tokens[c.keyword + 1];
      if (kw.text === "modifier" && name?.kind === "ident") this.modifierNames.add(name.text);
    }
  }

  lineOf(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  add(operator: OperatorName, edits: Edit[]): void {
    this.found.push({ operator, edits: [...edits].sort((a, b) => a.start - b.start) });
  }

  text(from: number, to: number): string {
    return this.src.slice(this.tokens[from]!.start, this.tokens[to]!.end);
  }

  /**
   * An edit that removes tokens from..to (inclusive), keeping the file's newlines. Text that starts a line is cut
   * from its first token (the indentation stays); text inside a line is cut with the whitespace before it.
   */
  removal(from: number, to: number, replacement = ""): Edit {
    const first = this.tokens[from]!;
    const prev = this.tokens[from - 1];
    const startsLine = prev === undefined || this.src.slice(prev.end, first.start).includes("\n");
    const start = startsLine ? first.start : prev.end;
    const end = this.tokens[to]!.end;
    const newlines = "\n".repeat((this.src.slice(start, end).match(/\n/g) ?? []).length);
    const text = startsLine || replacement === "" ? replacement : ` ${replacement}`;
    return { start, end, text: text + newlines };
  }

  isAddressArray(name: string): boolean {
    return this.addrArrays.has(name);
  }

  /** Token index of the `{` of the innermost block containing token i (-1 at top level). */
  enclosingBlock(i: number): number {
    for (let j = i - 1; j >= 0; j--) {
      const t = this.tokens[j]!;
      if (t.text === "{" && (this.match.get(j) ?? -1) > i) return j;
    }
    return -1;
  }

  /** Whether tokens from..to form an assignable path: a, a.b, a[i].b[j], ... */
  isPath(from: number, to: number): boolean {
    if (from > to || this.tokens[from]!.kind !== "ident") return false;
    let j = from + 1;
    while (j <= to) {
      const t = this.tokens[j]!;
      if (t.text === "." && this.tokens[j + 1]?.kind === "ident") j += 2;
      else if (t.text === "[" && this.match.has(j) && this.match.get(j)! <= to) j = this.match.get(j)! + 1;
      else return false;
    }
    return true;
  }

  /** Removal of a whole statement; `{}` instead when it is the unbraced body of if/else/for/while. */
  statementRemoval(from: number, to: number): Edit {
    return this.removal(from, to, this.isUnbracedBody(from) ? "{}" : "");
  }

  isUnbracedBody(i: number): boolean {
    const prev = this.tokens[i - 1];
    if (prev === undefined) return false;
    if (prev.text === "else") return true;
    if (prev.text !== ")") return false;
    const open = this.match.get(i - 1);
    const kw = open === undefined ? undefined : this.tokens[open - 1];
    return kw !== undefined && (kw.text === "if" || kw.text === "while" || kw.text === "for");
  }

  /** Whether token i begins a statement (inside a body). */
  isStatementStart(i: number): boolean {
    if (!this.inBody[i]) return false;
    const prev = this.tokens[i - 1];
    if (prev === undefined) return false;
    if (prev.text === ";" || prev.text === "{" || prev.text === "}") return true;
    return this.isUnbracedBody(i);
  }

  /** Index of the `;` that ends the simple statement starting at i (skipping brackets), or -1. */
  statementEnd(i: number): number {
    let j = i;
    while (j < this.tokens.length) {
      const t = this.tokens[j]!;
      if ((t.text === "(" || t.text === "[" || t.text === "{") && this.match.has(j)) {
        j = this.match.get(j)! + 1;
        continue;
      }
      if (t.text === ";") return j;
      if (t.text === "}") return -1;
      j++;
    }
    return -1;
  }

  /** Top-level arguments of the call whose `(` is at `open`: [from, to] token ranges (inclusive). */
  args(open: number): Array<[number, number]> {
    const close = this.match.get(open);
    if (close === undefined || close === open + 1) return [];
    const out: Array<[number, number]> = [];
    let from = open + 1;
    let j = open + 1;
    while (j < close) {
      const t = this.tokens[j]!;
      if ((t.text === "(" || t.text === "[" || t.text === "{") && this.match.has(j)) {
        j = this.match.get(j)! + 1;
        continue;
      }
      if (t.text === ",") {
        out.push([from, j - 1]);
        from = j + 1;
      }
      j++;
    }
    out.push([from, close - 1]);
    return out.filter(([a, b]) => a <= b);
  }

  /** Whether tokens from..to form an address-valued expression, as far as names tell. */
  isAddressLike(from: number, to: number): boolean {
    const ts = this.tokens.slice(from, to + 1);
    const text = ts.map((t) => t.text).join("");
    if (text === "msg.sender" || text === "tx.origin") return true;
    if (
      (ts[0]?.text === "address" || ts[0]?.text === "payable") &&
      ts[1]?.text === "(" &&
      this.match.get(from + 1) === to
    )
      return true;
    // Plain paths only: a.b.c, a[i], a[i].b — no operators at top level.
    let j = from;
    let lastIdent: string | undefined;
    let lastWasIndex = false;
    let baseBeforeIndex: string | undefined;
    while (j <= to) {
      const t = this.tokens[j]!;
      if (t.kind === "ident") {
        lastIdent = t.text;
        lastWasIndex = false;
      } else if (t.text === "[" && this.match.has(j)) {
        baseBeforeIndex = lastIdent;
        lastWasIndex = true;
        j = this.match.get(j)! + 1;
        continue;
      } else if (t.text === "(" && this.match.has(j) && this.match.get(j) === to && j === to - 1) {
        // a getter call with no arguments, e.g. owner()
      } else if (t.text !== ".") return false;
      j++;
    }
    if (lastWasIndex) return baseBeforeIndex !== undefined && this.addrArrays.has(baseBeforeIndex);
    if (lastIdent === undefined || this.addrArrays.has(lastIdent)) return false;
    if (this.nonAddress.has(lastIdent) && !this.addrScalars.has(lastIdent)) return false;
    return this.addrScalars.has(lastIdent) || ADDRESS_NAME.test(lastIdent);
  }

  /** The callee name (last identifier) for a `(` at `open`, if it is a call. */
  calleeOf(open: number): string | undefined {
    const prev = this.tokens[open - 1];
    if (prev?.kind !== "ident" || KEYWORDS.has(prev.text)) return undefined;
    if (["if", "for", "while", "require", "assert", "address", "payable"].includes(prev.text)) return undefined;
    // Events and errors are not calls that move anything.
    let k = open - 2;
    while (k >= 1 && this.tokens[k]!.text === "." && this.tokens[k - 1]!.kind === "ident") k -= 2;
    const before = this.tokens[k];
    if (before !== undefined && (before.text === "emit" || before.text === "revert")) return undefined;
    return prev.text;
  }

  /** Token range of an `if` statement starting at i: [condOpen, condClose, bodyFrom, bodyTo, hasElse]. */
  ifParts(
    i: number,
  ): { condOpen: number; condClose: number; bodyFrom: number; bodyTo: number; hasElse: boolean } | undefined {
    if (this.tokens[i]?.text !== "if" || this.tokens[i + 1]?.text !== "(") return undefined;
    const condOpen = i + 1;
    const condClose = this.match.get(condOpen);
    if (condClose === undefined) return undefined;
    const bodyFrom = condClose + 1;
    let bodyTo: number;
    if (this.tokens[bodyFrom]?.text === "{") {
      const c = this.match.get(bodyFrom);
      if (c === undefined) return undefined;
      bodyTo = c;
    } else {
      bodyTo = this.statementEnd(bodyFrom);
      if (bodyTo === -1) return undefined;
    }
    return { condOpen, condClose, bodyFrom, bodyTo, hasElse: this.tokens[bodyTo + 1]?.text === "else" };
  }

  /** The single statement keyword of an if body (`revert`, `continue`, `return`), or undefined. */
  soleStatementKeyword(from: number, to: number): string | undefined {
    let a = from;
    let b = to;
    if (this.tokens[from]?.text === "{") {
      a = from + 1;
      b = to - 1;
      if (a > b) return undefined;
      if (this.statementEnd(a) !== b) return undefined;
    }
    return this.tokens[a]?.text;
  }
}

// ------------------------------------------------------------------------------------------------- operators

function accessFlavoured(text: string): boolean {
  return /msg\.sender|permission|hasRole|_checkOwner|owner\(\)|onlyOwner|\bauth/i.test(text);
}

const CHECK_CALL = /^_*(check|require|validate|ensure|only)[A-Z_]/;
const ACCESS_CALL = /owner|perm|role|auth|access|caller|sender|only|admin|governance|hub/i;
const MONEY_CALL = /credit|transfer|pay|send|refund|bond|deposit|reward|fee/i;
const DRAW_CALL = /draw|assign|panel|select|exclu/i;
const JAIL_NAME = /^_*jail(ed)?(Until)?$/i;
const ACCESS_MODIFIER = /^only[A-Z_0-9]/;
const COMPOUND_STATEMENTS = new Set(["for", "while", "do", "unchecked", "try", "assembly", "return", "else"]);
const ACCESS_MODIFIERS_EXTRA = new Set(["whenNotPaused", "whenPaused"]);

function genStatements(g: Generator, ops: Set<OperatorName>): void {
  const { tokens } = g;
  for (const callable of g.s.callables) {
    // Neighbouring credit-like statements of this body, for swap-recipients across statements.
    const calls: Array<{ callee: string; addr: Array<[number, number]> }> = [];
    const writes: Array<{ base: string; block: number; key?: [number, number]; value?: [number, number] }> = [];
    for (let i = callable.open + 1; i < callable.close; i++) {
      if (!g.isStatementStart(i)) continue;
      const t = tokens[i]!;
      if (t.kind !== "ident" || COMPOUND_STATEMENTS.has(t.text)) continue;

      // `if (...) <body>`
      const parts = t.text === "if" ? g.ifParts(i) : undefined;
      if (parts !== undefined) {
        const cond = g.text(parts.condOpen + 1, parts.condClose - 1);
        const kw = g.soleStatementKeyword(parts.bodyFrom, parts.bodyTo);
        if (!parts.hasElse && kw === "revert") {
          const op: OperatorName = accessFlavoured(cond) ? "access-remove" : "check-remove";
          if (ops.has(op)) g.add(op, [g.statementRemoval(i, parts.bodyTo)]);
        }
        if (!parts.hasElse && kw === "continue" && ops.has("exclusion-skip")) {
          g.add("exclusion-skip", [g.statementRemoval(i, parts.bodyTo)]);
        }
        if (ops.has("exclusion-skip")) genOperandDrops(g, parts.condOpen);
        continue; // the body's statements are visited on their own
      }

      const end = g.statementEnd(i);
      if (end === -1) continue;
      const stmt = g.text(i, end);

      if (t.text === "require" && tokens[i + 1]?.text === "(") {
        const op: OperatorName = accessFlavoured(stmt) ? "access-remove" : "check-remove";
        if (ops.has(op)) g.add(op, [g.statementRemoval(i, end)]);
        if (ops.has("exclusion-skip")) {
          const first = g.args(i + 1)[0];
          if (first !== undefined) genOperandDrops(g, i + 1, first);
        }
        continue;
      }
      if (t.text === "emit") {
        if (ops.has("emit-remove")) g.add("emit-remove", [g.statementRemoval(i, end)]);
        continue;
      }

      // Bare call statement: name(...) ; or a.b.name(...) ;
      const lastOpen = tokens[end - 1]?.text === ")" ? g.match.get(end - 1) : undefined;
      const callee = lastOpen === undefined ? undefined : g.calleeOf(lastOpen);
      const isBareCall =
        callee !== undefined &&
        lastOpen !== undefined &&
        lastOpen > i &&
        tokens.slice(i, lastOpen).every((u) => u.kind === "ident" || u.text === ".") &&
        !KEYWORDS.has(t.text);
      if (isBareCall) {
        if (CHECK_CALL.test(callee)) {
          const op: OperatorName = ACCESS_CALL.test(callee) ? "access-remove" : "check-remove";
          if (ops.has(op)) g.add(op, [g.statementRemoval(i, end)]);
        } else if (/^_*jail/i.test(callee)) {
          if (ops.has("jail-remove")) g.add("jail-remove", [g.statementRemoval(i, end)]);
        }
        if (MONEY_CALL.test(callee)) {
          const addr = g.args(lastOpen).filter(([a, b]) => g.isAddressLike(a, b));
          calls.push({ callee: g.text(i, lastOpen - 1), addr });
        }
      }

      // Assignment statement: LHS op= RHS ;
      let assign = -1;
      for (let j = i; j < end; j++) {
        const u = tokens[j]!;
        if ((u.text === "(" || u.text === "[" || u.text === "{") && g.match.has(j)) {
          j = g.match.get(j)!;
          continue;
        }
        if (["=", "+=", "-=", "*=", "/=", "|=", "&="].includes(u.text)) {
          assign = j;
          break;
        }
      }
      if (assign > i) {
        const lhs = tokens.slice(i, assign);
        const isLvalue = g.isPath(i, assign - 1);
        if (isLvalue && lhs.some((u) => u.kind === "ident" && JAIL_NAME.test(u.text)) && ops.has("jail-remove")) {
          g.add("jail-remove", [g.statementRemoval(i, end)]);
        }
        // BASE[KEY] op= VALUE ;
        const open = i + 1;
        if (isLvalue && tokens[open]?.text === "[" && g.match.get(open) === assign - 1 && assign - 1 > open + 1) {
          const base = tokens[i]!.text;
          const keyRange: [number, number] = [open + 1, assign - 2];
          const valueRange: [number, number] = [assign + 1, end - 1];
          const writesAddress = g.isAddressLike(...valueRange);
          const exclusionList = /exclu|part(y|ies)|barred/i.test(base) || (g.isAddressArray(base) && writesAddress);
          if (exclusionList && tokens[assign]!.text === "=" && ops.has("exclusion-skip")) {
            g.add("exclusion-skip", [g.statementRemoval(i, end)]);
          }
          // Only writes of one block are paired (a loop body's write may use the loop's variables).
          if (!g.isUnbracedBody(i))
            writes.push({
              base,
              block: g.enclosingBlock(i),
              key: g.isAddressLike(...keyRange) ? keyRange : undefined,
              value: g.isAddressLike(...valueRange) ? valueRange : undefined,
            });
        }
      }
    }

    if (ops.has("swap-recipients")) {
      // The first address argument of two successive calls to the same function (e.g. two credits).
      for (const list of groupBy(calls, (c) => c.callee)) {
        for (let k = 0; k + 1 < list.length; k++) {
          const ra = list[k]!.addr[0];
          const rb = list[k + 1]!.addr[0];
          if (ra !== undefined && rb !== undefined) swapRanges(g, ra, rb);
        }
      }
      // The keys (credits[a] += x; credits[b] += y) or address values (accounts[0] = a; accounts[1] = b) of two
      // successive writes into the same mapping or array.
      for (const list of groupBy(writes, (w) => `${w.block}:${w.base}`)) {
        for (let k = 0; k + 1 < list.length; k++) {
          const a = list[k]!;
          const b = list[k + 1]!;
          if (a.key !== undefined && b.key !== undefined) swapRanges(g, a.key, b.key);
          else if (a.value !== undefined && b.value !== undefined) swapRanges(g, a.value, b.value);
        }
      }
    }
  }
}

function groupBy<T>(xs: T[], key: (x: T) => string): T[][] {
  const groups = new Map<string, T[]>();
  for (const x of xs) {
    const list = groups.get(key(x)) ?? [];
    list.push(x);
    groups.set(key(x), list);
  }
  return [...groups.values()];
}

function swapRanges(g: Generator, a: [number, number], b: [number, number]): void {
  const ta = g.text(a[0], a[1]);
  const tb = g.text(b[0], b[1]);
  if (ta === tb) return;
  g.add("swap-recipients", [
    { start: g.tokens[a[0]]!.start, end: g.tokens[a[1]]!.end, text: tb },
    { start: g.tokens[b[0]]!.start, end: g.tokens[b[1]]!.end, text: ta },
  ]);
}

/** Drops one operand of the top-level `||` chain (or `&&` chain) inside the parentheses at `open`. */
function genOperandDrops(g: Generator, open: number, range?: [number, number]): void {
  const close = g.match.get(open);
  if (close === undefined) return;
  const [from, to] = range ?? [open + 1, close - 1];
  const split = (op: string): number[] => {
    const at: number[] = [];
    for (let j = from; j <= to; j++) {
      const t = g.tokens[j]!;
      if ((t.text === "(" || t.text === "[" || t.text === "{") && g.match.has(j)) {
        j = g.match.get(j)!;
        continue;
      }
      if (t.text === "?") return [];
      if (t.text === op) at.push(j);
    }
    return at;
  };
  let seps = split("||");
  if (seps.length === 0) seps = split("&&");
  if (seps.length === 0) return;
  const bounds = [from - 1, ...seps, to + 1];
  for (let k = 0; k + 1 < bounds.length; k++) {
    const a = bounds[k]! + 1;
    const b = bounds[k + 1]! - 1;
    // Drop operand k with the operator after it (or, for the last one, the operator before it).
    const [start, end] =
      k + 1 < bounds.length - 1
        ? [g.tokens[a]!.start, g.tokens[bounds[k + 1]! + 1]!.start]
        : [g.tokens[bounds[k]! - 1]!.end, g.tokens[b]!.end];
    g.add("exclusion-skip", [{ start, end, text: g.src.slice(start, end).replace(/[^\n]/g, "") }]);
  }
}

function genTokens(g: Generator, ops: Set<OperatorName>): void {
  const { tokens } = g;
  const flip: Record<string, string> = { "<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==" };
  const arith: Record<string, string> = { "+": "-", "-": "+", "*": "/", "/": "*" };
  const compound: Record<string, string> = { "+=": "-=", "-=": "+=", "*=": "/=", "/=": "*=" };
  const replace = (op: OperatorName, i: number, text: string) =>
    g.add(op, [{ start: tokens[i]!.start, end: tokens[i]!.end, text }]);

  for (let i = 0; i < tokens.length; i++) {
    if (!g.inBody[i]) continue;
    const t = tokens[i]!;
    const prev = tokens[i - 1];
    const next = tokens[i + 1];
    const after = tokens[i + 2];

    if (t.kind === "punct" && t.text in flip && ops.has("cmp-flip")) replace("cmp-flip", i, flip[t.text]!);

    if (t.kind === "punct" && (t.text === "+" || t.text === "-") && endsOperand(prev)) {
      // off-by-one: `x + 1` / `x - 1` → `x`
      if (
        ops.has("off-by-one") &&
        next?.kind === "number" &&
        next.text === "1" &&
        !(after !== undefined && (TERM_OPS.has(after.text) || UNITS.has(after.text)))
      ) {
        g.add("off-by-one", [{ start: prev!.end, end: next.end, text: "" }]);
      }
      // off-by-one: `block.timestamp + x` → `block.timestamp + 1 + x`
      if (
        ops.has("off-by-one") &&
        t.text === "+" &&
        i >= 3 &&
        tokens[i - 3]!.text === "block" &&
        tokens[i - 2]!.text === "." &&
        (prev!.text === "timestamp" || prev!.text === "number") &&
        !(next?.text === "1" && !TERM_OPS.has(after?.text ?? ""))
      ) {
        g.add("off-by-one", [{ start: t.end, end: t.end, text: " 1 +" }]);
      }
    }
    // off-by-one: `x / 2` → `x / 2 + 1`
    if (
      ops.has("off-by-one") &&
      t.text === "/" &&
      endsOperand(prev) &&
      next?.text === "2" &&
      !(after?.text === "+" && tokens[i + 3]?.text === "1") &&
      !(after !== undefined && (TERM_OPS.has(after.text) || after.text === "." || UNITS.has(after.text)))
    ) {
      g.add("off-by-one", [{ start: next.end, end: next.end, text: " + 1" }]);
    }

    if (ops.has("arith-swap") && t.kind === "punct") {
      if (t.text in arith && endsOperand(prev)) replace("arith-swap", i, arith[t.text]!);
      else if (t.text in compound) replace("arith-swap", i, compound[t.text]!);
    }

    if (t.kind === "ident" && (t.text === "true" || t.text === "false")) {
      // jail-remove: `true` argument of a slash/jail call
      const open = enclosingCallOpen(g, i);
      const callee = open === undefined ? undefined : g.calleeOf(open);
      const isArg = open !== undefined && g.args(open).some(([a, b]) => a === i && b === i) && t.text === "true";
      if (isArg && callee !== undefined && /slash|jail/i.test(callee) && ops.has("jail-remove")) {
        replace("jail-remove", i, "false");
      }
      if (ops.has("bool-flip")) replace("bool-flip", i, t.text === "true" ? "false" : "true");
    }

    // exclusion-skip: an address passed to a draw/assign/exclude call → address(0)
    if (ops.has("exclusion-skip") && t.text === "(" && prev !== undefined) {
      const callee = g.calleeOf(i);
      if (callee !== undefined && DRAW_CALL.test(callee)) {
        for (const [a, b] of g.args(i)) {
          const text = g.text(a, b);
          if (text === "address(0)" || text === "msg.sender") continue;
          if (g.isAddressLike(a, b)) {
            g.add("exclusion-skip", [{ start: tokens[a]!.start, end: tokens[b]!.end, text: "address(0)" }]);
          }
        }
      }
    }

    // swap-recipients: two address arguments of one money call
    if (ops.has("swap-recipients") && t.text === "(" && prev !== undefined) {
      const callee = g.calleeOf(i);
      if (callee !== undefined && MONEY_CALL.test(callee)) {
        const addr = g.args(i).filter(([a, b]) => g.isAddressLike(a, b));
        for (let x = 0; x < addr.length; x++)
          for (let y = x + 1; y < addr.length; y++) swapRanges(g, addr[x]!, addr[y]!);
      }
    }
  }

  // access-remove: modifiers in headers
  if (ops.has("access-remove")) {
    for (const c of g.s.callables) {
      let j = c.keyword + 1;
      // Skip the name and the parameter list.
      while (j < c.open && tokens[j]!.text !== "(") j++;
      if (j < c.open && g.match.has(j)) j = g.match.get(j)! + 1;
      for (; j < c.open; j++) {
        const u = tokens[j]!;
        if ((u.text === "returns" || u.text === "override") && tokens[j + 1]?.text === "(") {
          j = g.match.get(j + 1) ?? j;
          continue;
        }
        if (u.kind !== "ident") continue;
        const isAccess =
          g.modifierNames.has(u.text) || ACCESS_MODIFIER.test(u.text) || ACCESS_MODIFIERS_EXTRA.has(u.text);
        if (!isAccess || u.text === "nonReentrant") continue;
        let last = j;
        if (tokens[j + 1]?.text === "(" && g.match.has(j + 1)) last = g.match.get(j + 1)!;
        g.add("access-remove", [g.removal(j, last)]);
        j = last;
      }
    }
  }

  // off-by-one: numeric constants ±1
  if (ops.has("off-by-one")) {
    for (const { from, to } of g.s.constants) {
      if (to <= from) continue;
      const exprTokens = tokens.slice(from, to);
      const numeric = exprTokens.every(
        (u) => u.kind === "number" || UNITS.has(u.text) || ["*", "+", "-", "/", "**", "(", ")"].includes(u.text),
      );
      if (!numeric || !exprTokens.some((u) => u.kind === "number")) continue;
      const end = tokens[to - 1]!.end;
      const wrap = exprTokens.length > 1;
      const startOff = tokens[from]!.start;
      const expr = g.src.slice(startOff, end);
      const plus = wrap ? `(${expr}) + 1` : `${expr} + 1`;
      const minus = wrap ? `(${expr}) - 1` : `${expr} - 1`;
      g.add("off-by-one", [{ start: startOff, end, text: plus }]);
      if (!(exprTokens.length === 1 && /^0+$/.test(exprTokens[0]!.text.replace(/_/g, ""))))
        g.add("off-by-one", [{ start: startOff, end, text: minus }]);
    }
  }
}

/** The `(` of the innermost call whose argument list contains token i, if any. */
function enclosingCallOpen(g: Generator, i: number): number | undefined {
  let depth = 0;
  for (let j = i - 1; j >= 0; j--) {
    const t = g.tokens[j]!;
    if (t.text === ")" || t.text === "]" || t.text === "}") depth++;
    else if (t.text === "(" || t.text === "[" || t.text === "{") {
      if (depth === 0) return t.text === "(" ? j : undefined;
      depth--;
    } else if (t.text === ";" && depth === 0) return undefined;
  }
  return undefined;
}

// ------------------------------------------------------------------------------------------------- entry point

/** The original and mutated text of the lines each group of edits touches (groups joined with " … "). */
function describe(src: string, edits: readonly Edit[], g: Generator): { before: string; after: string } {
  const groups: Array<{ from: number; to: number; edits: Edit[] }> = [];
  for (const e of edits) {
    const from = g.lineOf(e.start);
    const to = g.lineOf(Math.max(e.start, e.end - 1));
    const last = groups[groups.length - 1];
    if (last !== undefined && from <= last.to) {
      last.to = Math.max(last.to, to);
      last.edits.push(e);
    } else groups.push({ from, to, edits: [e] });
  }
  const lineStart = (l: number) => (l === 1 ? 0 : nthIndexOf(src, "\n", l - 1) + 1);
  const flat = (text: string) =>
    text
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .join(" ⏎ ");
  const befores: string[] = [];
  const afters: string[] = [];
  for (const grp of groups) {
    const start = lineStart(grp.from);
    const nl = src.indexOf("\n", lineStart(grp.to));
    const end = nl === -1 ? src.length : nl;
    const region = src.slice(start, end);
    const shifted = grp.edits.map((e) => ({ start: e.start - start, end: e.end - start, text: e.text }));
    befores.push(flat(region));
    afters.push(flat(applyEdits(region, shifted)) || "<removed>");
  }
  return { before: befores.join(" … "), after: afters.join(" … ") };
}

function nthIndexOf(s: string, needle: string, n: number): number {
  let at = -1;
  for (let k = 0; k < n; k++) {
    at = s.indexOf(needle, at + 1);
    if (at === -1) return -1;
  }
  return at;
}

function applyEdits(src: string, edits: readonly Edit[]): string {
  let out = src;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** The mutated source of `mutant` (applied to the original `src`). */
export function applyMutant(src: string, mutant: Pick<Mutant, "edits">): string {
  return applyEdits(src, mutant.edits);
}

/**
 * All mutants of one Solidity source, in source order (then operator priority). Mutants that leave the file
 * unchanged, or duplicate an earlier mutant's result, are dropped.
 */
export function generateMutants(file: string, src: string, options: GenerateOptions = {}): Mutant[] {
  const ops = new Set(options.operators ?? DEFAULT_OPERATORS);
  const g = new Generator(src, analyse(maskSource(src)), options.addressNames ?? []);
  genStatements(g, ops);
  genTokens(g, ops);

  const priority = new Map(OPERATOR_NAMES.map((n, k) => [n, k]));
  const ordered = g.found
    .map((m, k) => ({ ...m, k }))
    .sort(
      (a, b) =>
        a.edits[0]!.start - b.edits[0]!.start || priority.get(a.operator)! - priority.get(b.operator)! || a.k - b.k,
    );
  const seen = new Set<string>([src]);
  const out: Mutant[] = [];
  for (const m of ordered) {
    const mutated = applyEdits(src, m.edits);
    if (seen.has(mutated)) continue;
    seen.add(mutated);
    const first = g.lineOf(m.edits[0]!.start);
    const { before, after } = describe(src, m.edits, g);
    out.push({ id: "", file, line: first, operator: m.operator, edits: m.edits, before, after });
  }
  // Ids: file:line:operator, with #n when the line has several mutants of that operator.
  const groups = new Map<string, Mutant[]>();
  for (const m of out) {
    const key = `${m.file}:${m.line}:${m.operator}`;
    const list = groups.get(key) ?? [];
    list.push(m);
    groups.set(key, list);
  }
  for (const [key, list] of groups) list.forEach((m, k) => (m.id = list.length === 1 ? key : `${key}#${k + 1}`));
  return out;
}

/** Deterministic PRNG (mulberry32). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Picks `max` mutants deterministically for `seed`, spread across files and operators: mutants are grouped by
 * (file, operator), each group shuffled, and groups are drawn from in turn. Returns them in their original order.
 */
export function sampleMutants<T extends Pick<Mutant, "file" | "operator">>(
  mutants: T[],
  max: number,
  seed: number,
): T[] {
  if (max >= mutants.length) return [...mutants];
  const rand = prng(seed);
  const shuffle = <U>(xs: U[]): U[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };
  const groups = new Map<string, number[]>();
  mutants.forEach((m, k) => {
    const key = `${m.file}\u0000${m.operator}`;
    const list = groups.get(key) ?? [];
    list.push(k);
    groups.set(key, list);
  });
  const queues = shuffle([...groups.keys()].sort()).map((key) => shuffle(groups.get(key)!));
  const picked: number[] = [];
  while (picked.length < max) {
    let progressed = false;
    for (const q of queues) {
      if (picked.length >= max) break;
      const k = q.shift();
      if (k === undefined) continue;
      picked.push(k);
      progressed = true;
    }
    if (!progressed) break;
  }
  return picked.sort((a, b) => a - b).map((k) => mutants[k]!);
}
