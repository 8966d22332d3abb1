#!/usr/bin/env node
// The consul-xds-bridge command: serve (watch Consul, serve xDS), dev (embedded catalog and demo
// services), status (connected clients and their sync state), demo-backend (one demo instance).
import { createProgram } from "./program.js";
import { runDemoBackend } from "./run-demo-backend.js";
import { runDev } from "./run-dev.js";
import { runServe } from "./run-serve.js";
import { runStatus } from "./run-status.js";

await createProgram({ serve: runServe, dev: runDev, status: runStatus, demoBackend: runDemoBackend }).parseAsync(process.argv);
