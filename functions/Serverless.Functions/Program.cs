using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Serverless.Auth;
using Serverless.Samples;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
builder.AddServerlessAuth();
builder.AddSampleApi();
builder.AddMailQueueTrigger();
var host = builder.Build();
// Cold start: the endpoints' singletons are built while the worker connects to the Functions host.
host.Services.WarmUpInBackground();
// A refused setting: its message on stderr, which the Functions host logs, and exit code 1.
return host.RunOrRefuse();
