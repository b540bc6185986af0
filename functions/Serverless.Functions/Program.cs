using Microsoft.Azure.Functions.Worker.Builder;
using Microsoft.Extensions.Hosting;
using Serverless.Auth;
using Serverless.Auth.Functions;
using Serverless.Samples;

var builder = FunctionsApplication.CreateBuilder(args);
builder.ConfigureFunctionsWebApplication();
// After the ASP.NET Core integration, so each request's HttpContext exists (the sample API uses both).
builder.UseAllowedOriginCheck();     // a POST, PUT, PATCH or DELETE from a foreign origin: 403 origin_not_allowed
builder.UseSessionAuthorization();   // [Authorize] on the function or its class: the session, or 401/403
builder.AddServerlessAuth();
builder.AddSampleApi();
builder.AddMailQueueTrigger();
var host = builder.Build();
// Cold start: the endpoints' singletons are built while the worker connects to the Functions host.
host.Services.WarmUpInBackground();
// A refused setting: its message on stderr, which the Functions host logs, and exit code 1.
return host.RunOrRefuse();
