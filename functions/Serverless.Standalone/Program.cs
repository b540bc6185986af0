using Serverless.Standalone;

// The same endpoints as the Functions app, on Kestrel: local runs without Core Tools, HTTP tests, containers.
var app = StandaloneApp.Build(args);
app.Run();
