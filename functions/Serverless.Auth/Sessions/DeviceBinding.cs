using System.Security.Cryptography;
using System.Text;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Auth.Sessions;

/// <summary>What a session row keeps of the browser it belongs to: the SHA-256 of its device id, never the cookie.</summary>
internal static class DeviceBinding
{
    public static string Of(string deviceId) => Base64UrlEncoder.Encode(SHA256.HashData(Encoding.ASCII.GetBytes(deviceId)));
}
