/** Sub: per-channel broadcasts in one native loop (binary.ts). */
import { binaryConfig } from "./binary";

export const subConfig = binaryConfig("Sub");
