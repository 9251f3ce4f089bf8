using Microsoft.Extensions.DependencyInjection;
using SatsMotion.Lightning.Connection;

namespace SatsMotion.Lightning.Tests.Connection;

/// <summary>The operator's connection strings: the README's forms work, and every mistake is one line naming the key, never a secret.</summary>
public sealed class LightningConnectionStringTests
{
    private const string Macaroon = "0201036c6e6402f801030a10deadbeefcafe";

    private static LightningConfigurationException Refused(string setting) =>
        Assert.Throws<LightningConfigurationException>(() => new ServiceCollection().AddLightningBackend(setting));

    [Theory]
    [InlineData("dev")]
    [InlineData(" DEV ")]
    public void Dev_registers_nothing_the_host_adds_its_own_node(string setting) => Assert.False(new ServiceCollection().AddLightningBackend(setting));

    [Theory]
    [InlineData($"type=lnd-rest;server=https://127.0.0.1:8080;macaroon={Macaroon};allowinsecure=true")]
    [InlineData($"type=lnd-rest;server=https://127.0.0.1:8080;macaroon={Macaroon};certthumbprint=AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89")]
    [InlineData($" Type = lnd-rest ; Server = https://node.example:8080 ; MACAROON = {Macaroon} ; network = mainnet ;")]
    public void The_readme_forms_are_accepted(string setting)
    {
        var services = new ServiceCollection();
        Assert.True(services.AddLightningBackend(setting));
        Assert.Contains(services, s => s.ServiceType == typeof(ILightningBackend));
    }

    [Theory]
    [InlineData($"type=lnd-rest;server=https://h:8080;macaroon={Macaroon};colour=blue", "'colour'")]
    [InlineData("type=lnd-rest;server=https://h:8080", "'macaroon'")]
    [InlineData($"type=lnd-rest;macaroon={Macaroon}", "'server'")]
    [InlineData($"type=lnd-rest;server=ftp://h;macaroon={Macaroon}", "'server'")]
    [InlineData($"type=lnd-rest;server=https://h:8080;macaroon={Macaroon};certthumbprint=abc", "'certthumbprint'")]
    [InlineData($"type=lnd-rest;server=https://h:8080;macaroon={Macaroon};certfilepath=/nonexistent/tls.cert", "'certfilepath'")]
    [InlineData($"type=lnd-rest;server=https://h:8080;macaroonfilepath=/nonexistent/invoice.macaroon", "'macaroonfilepath'")]
    [InlineData($"type=lnd-rest;server=https://h:8080;macaroon={Macaroon};allowinsecure=maybe", "'allowinsecure'")]
    [InlineData($"type=lnd-rest;server=https://h:8080;macaroon={Macaroon};network=litecoin", "'network'")]
    [InlineData($"server=https://h:8080;macaroon={Macaroon}", "'type'")]
    [InlineData($"type=lightning-magic;server=https://h", "'lightning-magic'")]
    [InlineData($"type=lnd-rest;type=clnrest", "'type'")]
    public void A_mistake_is_one_line_naming_the_key(string setting, string named)
    {
        var message = Refused(setting).Message;
        Assert.Contains(named, message);
        Assert.DoesNotContain('\n', message);
        Assert.DoesNotContain(Macaroon, message);
    }

    [Fact]
    public void A_secret_pasted_without_its_key_is_not_echoed()
    {
        var message = Refused($"type=lnd-rest;server=https://h:8080;{Macaroon}").Message;
        Assert.DoesNotContain(Macaroon, message);
    }

    [Fact]
    public void A_certificate_file_that_is_not_a_certificate_is_refused()
    {
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "not a certificate");
        Assert.Contains("'certfilepath'", Refused($"type=lnd-rest;server=https://h:8080;macaroon={Macaroon};certfilepath={file}").Message);
    }
}
