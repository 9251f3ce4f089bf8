using Microsoft.Extensions.Configuration;
using SatsMotion.Server.Configuration;
using SatsMotion.Server.Storage.S3;

namespace SatsMotion.Server.Tests;

/// <summary>SatsMotion:Storage and --role are read strictly: a mistake stops the start with one line, never echoing a secret.</summary>
public sealed class StorageSettingsTests
{
    [Fact]
    public void A_full_s3_setting_is_read()
    {
        var settings = S3StorageSettings.Parse("type=s3;endpoint=http://127.0.0.1:4568;bucket=videos;accesskey=AK;secretkey=SK;region=eu-west-1;pathstyle=true;presign=true");
        Assert.Equal(new S3StorageSettings(new Uri("http://127.0.0.1:4568"), "videos", "AK", "SK", "eu-west-1", true, true), settings);
    }

    [Fact]
    public void Without_endpoint_or_keys_it_is_aws_with_the_sdks_credentials()
    {
        var settings = S3StorageSettings.Parse("type=s3;bucket=videos");
        Assert.Equal((null, null, "us-east-1", false, false), (settings.Endpoint, settings.AccessKey, settings.Region, settings.PathStyle, settings.Presign));
    }

    [Theory]
    [InlineData("type=s3;bucket=b;colour=blue", "unknown key 'colour'")]
    [InlineData("type=gcs;bucket=b", "type must be s3")]
    [InlineData("type=s3", "bucket is required")]
    [InlineData("type=s3;bucket=b;endpoint=ftp://host", "endpoint must be")]
    [InlineData("type=s3;bucket=b;accesskey=AK", "both accesskey and secretkey")]
    [InlineData("type=s3;bucket=b;presign=maybe", "presign must be true or false")]
    public void A_bad_setting_is_named(string value, string problem) =>
        Assert.Contains(problem, Assert.Throws<SettingsException>(() => S3StorageSettings.Parse(value)).Message);

    [Fact]
    public void A_malformed_setting_does_not_echo_its_text()
    {
        var error = Assert.Throws<SettingsException>(() => S3StorageSettings.Parse("type=s3;secretkey='TOPSECRET"));
        Assert.DoesNotContain("TOPSECRET", error.Message);
    }

    [Fact]
    public void The_settings_print_without_their_keys()
    {
        var printed = S3StorageSettings.Parse("type=s3;bucket=videos;accesskey=AKIDEXAMPLE;secretkey=TOPSECRET").ToString();
        Assert.Contains("videos", printed);
        Assert.DoesNotContain("AKIDEXAMPLE", printed);
        Assert.DoesNotContain("TOPSECRET", printed);
    }

    [Theory]
    [InlineData("api", ServerRole.Api)]
    [InlineData("WORKER", ServerRole.Worker)]
    [InlineData(null, ServerRole.All)]
    public void The_role_is_read(string? text, ServerRole role) =>
        Assert.Equal(role, ServerRoles.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["role"] = text }).Build()));

    [Theory]
    [InlineData("gpu")]
    [InlineData("1")]
    public void An_unknown_role_is_refused(string text) =>
        Assert.Contains("--role must be api, worker or all", Assert.Throws<SettingsException>(() =>
            ServerRoles.Read(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["role"] = text }).Build())).Message);
}
