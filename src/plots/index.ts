export * from "./display";
export * from "./plotly";
export * from "./table";
export * from "./grid";
