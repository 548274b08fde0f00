/**
 * sha256 of the shipped language model files (`models/lm/`, seed 1) as listed in docs/MODELS.md. Retraining
 * (`npm run models:train-lm`) or a change to the tokenizer trainer, the training code or the ONNX writer changes
 * them: update both places together with the files.
 */
export const SHIPPED_LM_SHA256 = {
  model: "0x0c713a8980a2912f417e51464863493ae1adfea9b4415d533fd2082aad8c30c4",
  modelNoCache: "0x7e38a888476757e2e68b8f5776f3ea9a4218958052a8be13d215c64a06488783",
  tokenizer: "0x8d2059cd3369f21c049869734323ac7fd499a531677d9b5e17d9f75618893819",
} as const;
