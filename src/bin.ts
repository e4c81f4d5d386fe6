#!/usr/bin/env node
// The AWS SDK announces on every run that its releases after January 2027 will need Node 22.
// iamtrim supports Node 20 with the SDK versions it pins; keep stderr for iamtrim's own messages.
// The filter is installed before the CLI (and so the SDK) is imported.
const printWarning = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (warning) => {
  if (warning.name === 'NodeVersionSupportWarning' || warning.message.startsWith('NodeVersionSupportWarning')) return;
  for (const listener of printWarning) listener(warning);
});

// Signals and a closed stdout end the run quietly, with the previous output files intact
// (docs/errors.md); installed before the commands (and their start-up cost) are loaded.
const { installProcessHandlers, processIo } = await import('./cli/io.js');
installProcessHandlers();
const { main } = await import('./cli/main.js');
process.exitCode = await main(process.argv, processIo());
