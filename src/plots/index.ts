export * from "./display";
export * from "./plotly";
export * from "./table";
export * from "./grid";
export * from "./browser";
export * from "./export";
export * from "./colormap";
export * from "./progress";
