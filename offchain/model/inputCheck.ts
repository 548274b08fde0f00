/**
 * Does a request's input fit a model's declared inputs? One check, shared by the worker's runtime (which posts an
 * INPUT_SCHEMA error result carrying the message below) and the client (which refuses before paying). The message is
 * a pure function of the declared inputs and the decoded tensors — no runtime text — so every verifier that
 * re-executes derives the same bytes.
 */
import { dtypeLabel, type TensorData } from "../codec/tensor.js";

/** A declared input: graph name, canonical dtype code, dimensions (a string is symbolic; `[]` accepts any shape). */
export interface InputSpec {
  name: string;
  dtype: number;
  shape: ReadonlyArray<number | string>;
}

/** The model's input signature in one line, e.g. `input "x" float32 [1, 4]`. */
export function formatSignature(inputs: readonly InputSpec[]): string {
  return inputs.map((s) => `input "${s.name}" ${dtypeLabel(s.dtype)} [${formatShape(s.shape)}]`).join(", ");
}

export function formatShape(shape: ReadonlyArray<number | string>): string {
  return shape.map((d) => (typeof d === "string" ? (d === "" ? "?" : d) : String(d))).join(", ");
}

/** `null` when `tensors` fit `inputs` (by position); otherwise what is wrong, naming the input, expected and got. */
export function checkInputs(inputs: readonly InputSpec[], tensors: readonly TensorData[]): string | null {
  if (tensors.length !== inputs.length) {
    return `the model takes ${inputs.length} input tensor(s) (${inputs.map((s) => s.name).join(", ")}), got ${tensors.length}`;
  }
  for (let i = 0; i < inputs.length; i++) {
    const spec = inputs[i] as InputSpec;
    const tensor = tensors[i] as TensorData;
    if (tensor.dtype !== spec.dtype) {
      return `input ${i} ("${spec.name}") must be ${dtypeLabel(spec.dtype)}, got ${dtypeLabel(tensor.dtype)}`;
    }
    if (spec.shape.length === 0) continue; // scalar or undeclared shape: onnxruntime checks it
    if (tensor.shape.length !== spec.shape.length) {
      return (
        `input ${i} ("${spec.name}") must have rank ${spec.shape.length} [${formatShape(spec.shape)}], ` +
        `got rank ${tensor.shape.length} [${tensor.shape.join(", ")}]`
      );
    }
    for (let d = 0; d < spec.shape.length; d++) {
      const expected = spec.shape[d];
      const actual = tensor.shape[d] as number;
      const ok = typeof expected === "number" && expected >= 0 ? actual === expected : actual > 0;
      if (!ok) {
        return (
          `input ${i} ("${spec.name}") dimension ${d} is ${actual}, expected ` +
          `${typeof expected === "number" && expected >= 0 ? expected : "a positive size"} ` +
          `(shape [${formatShape(spec.shape)}])`
        );
      }
    }
  }
  return null;
}
