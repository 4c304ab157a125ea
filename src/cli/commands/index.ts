// The command table. A new verb is one module in this folder and one line here.
import type { Command } from '../command';
import { checkCommand } from './check';
import { installGpuCommand } from './install-gpu';
import { studyCommand } from './study';
import { trainCommand } from './train';
import { validateCommand } from './validate';

export const COMMANDS: readonly Command[] = [validateCommand, trainCommand, checkCommand, studyCommand, installGpuCommand];
