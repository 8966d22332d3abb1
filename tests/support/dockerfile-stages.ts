/** One Dockerfile instruction: its keyword, its text, and its arguments when written in exec (JSON) form. */
export interface DockerInstruction {
  keyword: string;
  text: string;
  exec?: string[];
}

/** One build stage: `FROM <base> [AS <name>]` and the instructions up to the next FROM. */
export interface DockerStage {
  base: string;
  name?: string;
  instructions: DockerInstruction[];
}

/**
 * Splits a Dockerfile into stages (comments dropped, `\` continuations joined), enough to check
 * what each stage installs, copies and runs without a Docker engine.
 */
export function parseDockerfile(text: string): DockerStage[] {
  const logical: string[] = [];
  let pending = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue;
    if (line.endsWith("\\")) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    logical.push(`${pending}${line}`.trim());
    pending = "";
  }
  if (pending !== "") logical.push(pending.trim());

  const stages: DockerStage[] = [];
  for (const line of logical) {
    const [keyword = ""] = line.split(/\s+/);
    const body = line.slice(keyword.length).trim();
    if (keyword.toUpperCase() === "FROM") {
      const match = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?$/i.exec(body);
      if (!match) throw new Error(`unsupported FROM line: ${line}`);
      stages.push({ base: match[1]!, ...(match[2] ? { name: match[2] } : {}), instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (!stage) {
      if (keyword.toUpperCase() === "ARG") continue; // global ARG before the first FROM
      throw new Error(`instruction before FROM: ${line}`);
    }
    let exec: string[] | undefined;
    if (body.startsWith("[")) {
      try {
        const value = JSON.parse(body) as unknown;
        if (Array.isArray(value) && value.every((item) => typeof item === "string")) exec = value;
      } catch {
        // shell form that happens to start with "["
      }
    }
    stage.instructions.push({ keyword: keyword.toUpperCase(), text: body, ...(exec ? { exec } : {}) });
  }
  return stages;
}

/** The stage named `name`, or an error listing the stages there are. */
export function stageNamed(stages: readonly DockerStage[], name: string): DockerStage {
  const stage = stages.find((candidate) => candidate.name === name);
  if (!stage) throw new Error(`no stage ${name}; stages: ${stages.map((s) => s.name ?? s.base).join(", ")}`);
  return stage;
}

/** The instructions of a stage with one keyword (RUN, COPY, USER…). */
export function instructionsOf(stage: DockerStage, keyword: string): DockerInstruction[] {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword.toUpperCase());
}
