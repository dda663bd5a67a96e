// Preloaded into each service by `bench:e2e -- --alloc-profile <dir>` (node -r): V8's
// sampling heap profiler, counting objects that GC collected too (so it shows what a
// process allocates, not what it keeps), from PARLEY_ALLOC_START_S seconds after start for
// PARLEY_ALLOC_SECONDS; the profile goes to PARLEY_ALLOC_OUT (a .heapprofile file, which
// Chrome DevTools opens; alloc-summary.ts prints it). CommonJS so `-r` loads it under any
// entry point.
'use strict';
const inspector = require('node:inspector');
const fs = require('node:fs');

const out = process.env.PARLEY_ALLOC_OUT;
const startS = Number(process.env.PARLEY_ALLOC_START_S ?? 30);
const seconds = Number(process.env.PARLEY_ALLOC_SECONDS ?? 15);
if (out) {
  const session = new inspector.Session();
  session.connect();
  setTimeout(() => {
    const options = {
      samplingInterval: 16384,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true,
    };
    session.post('HeapProfiler.startSampling', options, (startError) => {
      if (startError) return void process.stderr.write(`alloc profile: ${startError.message}\n`);
      setTimeout(() => {
        session.post('HeapProfiler.stopSampling', (stopError, result) => {
          if (stopError) return void process.stderr.write(`alloc profile: ${stopError.message}\n`);
          fs.writeFileSync(out, JSON.stringify(result.profile));
        });
      }, seconds * 1000).unref();
    });
  }, startS * 1000).unref();
}
