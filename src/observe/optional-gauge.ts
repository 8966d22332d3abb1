import { Gauge, type GaugeConfiguration } from "prom-client";

/** Options of {@link OptionalGauge}. */
export interface OptionalGaugeConfiguration extends Omit<GaugeConfiguration<string>, "labelNames" | "collect"> {
  /** The value at scrape time, or undefined for none (the series is left out). */
  read: () => number | undefined;
}

/**
 * A label-less gauge whose sample is absent while there is nothing to report, instead of a
 * made-up 0 or +Inf: prom-client's Gauge always exports a label-less value, so this one drops it
 * from its answer when `read()` gives undefined.
 */
export class OptionalGauge extends Gauge<string> {
  private readonly read: () => number | undefined;

  constructor({ read, ...configuration }: OptionalGaugeConfiguration) {
    super(configuration);
    this.read = read;
  }

  override async get() {
    const value = this.read();
    if (value !== undefined) this.set(value);
    const metric = await super.get();
    return value === undefined ? { ...metric, values: [] } : metric;
  }
}
