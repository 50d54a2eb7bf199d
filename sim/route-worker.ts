// One access route's run, in a worker thread: `npm run simulate` runs both routes side by side
// on two cores. Results cross back as structured clones (plain numbers and strings).

import { parentPort, workerData } from "node:worker_threads";
import { runSimulation } from "./model.ts";
import type { SimConfig } from "./config.ts";

const result = runSimulation(workerData as SimConfig);
parentPort!.postMessage(result);
