// The watcher's clock is the model's (src/model/clock.ts): one notion of time from Consul's answers
// to the model's grace periods, so one virtual clock drives both in tests.
export { type Clock, systemClock } from "../model/clock.js";
