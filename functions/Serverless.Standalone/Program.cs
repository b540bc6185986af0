using Serverless.Auth;
using Serverless.Standalone;

// The same endpoints as the Functions app, on Kestrel: local runs without Core Tools, HTTP tests, containers.
var app = StandaloneApp.Build(args);
// A refused setting: its message on stderr and exit code 1, no stack trace.
return app.RunOrRefuse();
