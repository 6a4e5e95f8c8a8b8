/** Add: per-channel broadcasts in one native loop (binary.ts). */
import { binaryConfig } from "./binary";

export const addConfig = binaryConfig("Add");
