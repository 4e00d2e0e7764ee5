import type { Command } from 'commander';
import type { CliIO } from '../io.js';
import { registerCompile } from './compile.js';
import { registerGraph } from './graph.js';
import { registerInit } from './init.js';
import { registerInspect } from './inspect.js';
import { registerReport, registerWeights } from './report.js';
import { registerSchema } from './schema.js';
import { registerTrain } from './train.js';
import { registerValidate } from './validate.js';

/**
 * A command module adds its subcommand to the program. `setExit` records the exit code (the
 * highest one recorded wins); a user's mistake is a thrown `CliError`, never a stack trace.
 */
export type RegisterCommand = (program: Command, io: CliIO, setExit: (code: number) => void) => void;

// Each command lives in its own module; add it here in the order `--help` should list it.
export const commands: RegisterCommand[] = [registerValidate, registerCompile, registerInspect, registerGraph, registerInit, registerSchema, registerTrain, registerReport, registerWeights];
