import { expect } from "chai";

import {
  bucketLabel,
  describeDuration,
  isoTime,
  jsonify,
  perBucket,
  sparkline,
} from "../../offchain/indexer/report.js";

/** 2026-12-01T00:00:00Z. */
const DAY0 = Date.UTC(2026, 11, 1) / 1000;
const HOUR = 3_600;

describe("network:stats report helpers (labels, sparkline, JSON)", function () {
  it("labels an hourly bucket with its date and UTC clock interval", function () {
    expect(bucketLabel(DAY0 + 7 * HOUR, HOUR)).to.equal("2026-12-01 07:00–08:00");
  });

  it("labels a bucket ending at midnight as ending at 24:00 of its day", function () {
    expect(bucketLabel(DAY0 + 23 * HOUR, HOUR)).to.equal("2026-12-01 23:00–24:00");
  });

  it("labels a sub-minute bucket with seconds", function () {
    expect(bucketLabel(DAY0 + 7 * HOUR + 30, 30)).to.equal("2026-12-01 07:00:30–07:01:00");
  });

  it("labels day buckets with dates only, a multi-day bucket with its first and last day", function () {
    expect(bucketLabel(DAY0, 86_400)).to.equal("2026-12-01");
    expect(bucketLabel(DAY0, 7 * 86_400)).to.equal("2026-12-01 – 2026-12-07");
  });

  it("labels a bucket crossing midnight with both dates", function () {
    expect(bucketLabel(DAY0 + 12 * HOUR, 36 * HOUR)).to.equal("2026-12-01 12:00 – 2026-12-03 00:00");
  });

  it("says the bucket size in words", function () {
    expect([3_600, 300, 60, 7_200, 86_400, 90, 1].map(perBucket)).to.deep.equal([
      "per hour",
      "per 5 min",
      "per minute",
      "per 2 hours",
      "per day",
      "per 90 s",
      "per second",
    ]);
    expect(describeDuration(12 * HOUR)).to.equal("12 hours");
  });

  it("test_revert_describeDuration_notPositiveWholeSeconds", function () {
    expect(() => describeDuration(0)).to.throw(RangeError);
    expect(() => describeDuration(1.5)).to.throw(RangeError);
  });

  it("draws a sparkline scaled to the peak, zero as the lowest bar and any call above it", function () {
    expect(sparkline([0, 1, 7, 14])).to.equal("▁▂▅█");
    expect(sparkline([0, 0])).to.equal("▁▁");
    expect(sparkline([1, 100])).to.equal("▂█");
  });

  it("writes times as ISO 8601 UTC without milliseconds", function () {
    expect(isoTime(DAY0 + 7 * HOUR)).to.equal("2026-12-01T07:00:00Z");
  });

  it("turns bigints into decimal strings and undefined into null, deeply", function () {
    const value = { a: 10n ** 24n, b: [1n, { c: undefined as number | undefined }], d: "x" };
    expect(jsonify(value)).to.deep.equal({ a: "1000000000000000000000000", b: ["1", { c: null }], d: "x" });
    expect(JSON.parse(JSON.stringify(jsonify(value)))).to.deep.equal(jsonify(value));
  });

  it("test_revert_jsonify_map", function () {
    expect(() => jsonify(new Map([["a", 1n]]))).to.throw(TypeError, /Map/);
  });
});
