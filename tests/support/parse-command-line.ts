import type { Command } from "commander";
import type { BridgeConfig } from "../../src/bridge/start-bridge.js";
import type { BridgeOptionValues } from "../../src/cli/bridge-options.js";
import { createProgram, type DemoBackendSettings, type DevSettings, type StatusSettings } from "../../src/cli/program.js";

/** What the CLI's own parser made of an argument list: the command it would run, with its inputs. */
export type ParsedCommandLine =
  | { command: "serve"; config: BridgeConfig; values: BridgeOptionValues }
  | { command: "dev"; values: BridgeOptionValues; settings: DevSettings }
  | { command: "status"; settings: StatusSettings }
  | { command: "demo-backend"; settings: DemoBackendSettings };

let queue: Promise<unknown> = Promise.resolve();

/**
 * Runs only commander's parsing of the real program (fake actions, no exit, no output), so a
 * command line written in a deploy file is checked by the same code the container runs. Rejects
 * with commander's message for an unknown flag, a bad value or a stray argument.
 */
export function parseCommandLine(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ParsedCommandLine> {
  // One at a time: each parse swaps process.env while it runs.
  const run = queue.then(() => parseNow(args, env));
  queue = run.catch(() => {});
  return run;
}

async function parseNow(args: readonly string[], env: NodeJS.ProcessEnv): Promise<ParsedCommandLine> {
  let parsed: ParsedCommandLine | undefined;
  const program = createProgram({
    serve: async (config, values) => void (parsed = { command: "serve", config, values }),
    dev: async (values, settings) => void (parsed = { command: "dev", values, settings }),
    status: async (settings) => void (parsed = { command: "status", settings }),
    demoBackend: async (settings) => void (parsed = { command: "demo-backend", settings }),
  });
  let errorOutput = "";
  const quiet = (command: Command) =>
    command.exitOverride().configureOutput({ writeOut: () => {}, writeErr: (text) => void (errorOutput += text), outputError: () => {} });
  // Subcommands added with addCommand() don't inherit these settings: set them on each.
  for (const command of [program, ...program.commands]) quiet(command);
  // Options with .env() fall back to process.env (CONSUL_HTTP_ADDR…): parse with the given env only.
  const saved = process.env;
  process.env = { ...env };
  try {
    await program.parseAsync([...args], { from: "user" });
  } catch (error) {
    throw new Error(`${args.join(" ")}: ${(error as Error).message}${errorOutput ? `\n${errorOutput}` : ""}`);
  } finally {
    process.env = saved;
  }
  if (!parsed) throw new Error(`${args.join(" ")}: no command ran`);
  return parsed;
}
