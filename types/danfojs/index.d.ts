// danfojs 1.2 publishes its types only through package.json "exports"; tslab compiles notebook
// cells with node10 resolution, which ignores "exports". Re-export them by path.
export * from "danfojs/dist/danfojs-browser/src/index";
