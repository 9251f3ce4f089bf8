using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace SatsMotion.Lightning.Connection;

/// <summary>
/// How a backend trusts its node's TLS certificate. LND and Core Lightning make their own self-signed one, so the
/// operator pins it (its SHA-256 thumbprint, or the cert file); without either, the system's CAs decide.
/// allowinsecure=true skips the check (test setups only).
/// </summary>
public sealed record TlsTrust(byte[]? PinnedThumbprint, bool AllowInsecure)
{
    public static TlsTrust FromConnection(LightningConnectionString connection)
    {
        var thumbprint = connection.Optional("certthumbprint");
        var certificate = connection.OptionalFile("certfilepath");
        var insecure = connection.Flag("allowinsecure");
        if (new[] { thumbprint is not null, certificate is not null, insecure }.Count(x => x) > 1)
        {
            throw new LightningConfigurationException("SatsMotion:Lightning: give only one of 'certthumbprint', 'certfilepath' and 'allowinsecure'");
        }

        if (thumbprint is not null)
        {
            var hex = thumbprint.Replace(":", "", StringComparison.Ordinal);
            if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
            {
                throw new LightningConfigurationException("SatsMotion:Lightning: key 'certthumbprint' must be the SHA-256 of the DER certificate, 64 hex digits (colons allowed)");
            }

            return new TlsTrust(Convert.FromHexString(hex), false);
        }

        if (certificate is not null)
        {
            try
            {
                using var cert = X509CertificateLoader.LoadCertificate(PemOrDer(certificate));
                return new TlsTrust(SHA256.HashData(cert.RawData), false);
            }
            catch (CryptographicException e)
            {
                throw new LightningConfigurationException($"SatsMotion:Lightning: key 'certfilepath' is not a certificate: {e.Message}");
            }
        }

        return new TlsTrust(null, insecure);
    }

    public HttpMessageHandler CreateHandler()
    {
        var handler = new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (PinnedThumbprint is not null)
        {
            // Pinned: exactly this certificate, whatever its issuer or host name says.
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(certificate.GetRawCertData()), PinnedThumbprint);
        }
        else if (AllowInsecure)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }
        else
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, errors) => errors == SslPolicyErrors.None;
        }

        return handler;
    }

    private static byte[] PemOrDer(byte[] file)
    {
        var text = System.Text.Encoding.ASCII.GetString(file);
        return text.Contains("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal)
            ? X509Certificate2.CreateFromPem(text).RawData
            : file;
    }
}
