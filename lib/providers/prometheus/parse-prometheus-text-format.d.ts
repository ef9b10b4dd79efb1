/** Types for parse-prometheus-text-format 1.1.1, which ships none (shape checked by running it). */
declare module 'parse-prometheus-text-format' {
  export interface ParsedSample {
    /** The sample value as written: "87", "NaN", "+Inf". Absent for histograms and summaries. */
    value?: string;
    labels?: Record<string, string>;
    timestamp_ms?: string;
    buckets?: Record<string, string>;
    quantiles?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  export interface ParsedFamily {
    name: string;
    help: string;
    type: 'GAUGE' | 'COUNTER' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED';
    metrics: ParsedSample[];
  }
  export default function parsePrometheusTextFormat(text: string): ParsedFamily[];
}
