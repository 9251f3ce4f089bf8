namespace SatsMotion.Server.Configuration;

/// <summary>
/// Operator settings, from the "SatsMotion" configuration section (appsettings, SATSMOTION__* environment
/// variables or --SatsMotion:Key=value). Defaults are the embedded, no-set-up ones.
/// </summary>
public sealed class SatsMotionOptions
{
    public const string Section = "SatsMotion";

    /// <summary>Where the database, videos, uploads and secrets live (--data, SATSMOTION_DATA, default ./data).</summary>
    public string DataDirectory { get; set; } = "data";

    /// <summary>Price of the local motion model per second of video.</summary>
    public int SatsPerSecond { get; set; } = 100;

    public TimeSpan InvoiceExpiry { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How long a paid token can be redeemed (for its one job) after the challenge.</summary>
    public TimeSpan TokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Hex server secret (≥ 32 bytes); when empty a random one is created in the data directory.</summary>
    public string? ServerSecret { get; set; }

    /// <summary>Previous hex secrets still accepted for verification after a rotation.</summary>
    public List<string> PreviousServerSecrets { get; set; } = [];

    /// <summary>
    /// The challenges each 402 carries, in this order: l402 (WWW-Authenticate: L402) and mpp (WWW-Authenticate:
    /// Payment, the IETF Payment scheme), both for the one invoice. "l402,mpp" (Aperture's order), "mpp,l402", or one alone.
    /// </summary>
    public string PaymentSchemes { get; set; } = "l402,mpp";

    /// <summary>The Payment scheme's realm (the same on every API server): default PublicBaseUrl's host, else "satsmotion".</summary>
    public string? MppRealm { get; set; }

    /// <summary>Also ask the backend that the invoice is settled before running a job (default: on for real backends).</summary>
    public bool? VerifySettlement { get; set; }

    public long MaxRequestBytes { get; set; } = 30 * 1024 * 1024;

    public long MaxImageBytes { get; set; } = 20 * 1024 * 1024;

    public int MaxPromptLength { get; set; } = 2000;

    /// <summary>What this process does (--role, SATSMOTION_ROLE): api, worker or all.</summary>
    public ServerRole Role { get; set; } = ServerRole.All;

    public int Workers { get; set; } = 1;

    /// <summary>How long a worker holds a running job without renewing (it renews every third of it): a dead worker's job is taken over after this.</summary>
    public TimeSpan JobLease { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs of one job before it is marked FAILED (a paid redemption may then retry it).</summary>
    public int MaxAttempts { get; set; } = 3;

    public TimeSpan DefaultWait { get; set; } = TimeSpan.FromSeconds(60);

    public TimeSpan MaxWait { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>How long finished videos are kept before they are deleted.</summary>
    public TimeSpan VideoRetention { get; set; } = TimeSpan.FromDays(30);

    /// <summary>Absolute base for video URLs (e.g. https://video.example.com); default: the request's own host.</summary>
    public string? PublicBaseUrl { get; set; }

    /// <summary>Offer a FAILED job's price back as an LNURL-withdraw link (the Lightning backend must be able to pay).</summary>
    public bool Refunds { get; set; }

    /// <summary>How long a refund can be claimed.</summary>
    public TimeSpan RefundLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The most a refund payment may cost in fees; unset, the backend's own rule (docs/operators/refunds.md has the table).</summary>
    public long? RefundMaxFeeSats { get; set; }

    /// <summary>How often pay-outs whose outcome is unknown are looked up at the node (also once at start).</summary>
    public TimeSpan RefundReconcileInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Reverse proxies (addresses or CIDR networks) whose X-Forwarded-For names the client.</summary>
    public List<string> TrustedProxies { get; set; } = [];

    public Hardening.RateLimitSettings RateLimits { get; set; } = new();

    /// <summary>Completion webhooks: which targets are allowed, and how deliveries are retried.</summary>
    public Callbacks.CallbackSettings Callbacks { get; set; } = new();

    /// <summary>The operator console's key (a file holding at least 20 characters); unset, admin.key in the data directory, created at first start.</summary>
    public string? AdminKeyFile { get; set; }

    /// <summary>How long a console sign-in lasts.</summary>
    public TimeSpan AdminSessionLifetime { get; set; } = TimeSpan.FromHours(12);

    /// <summary>libx264 preset and quality of the local model.</summary>
    public string EncoderPreset { get; set; } = "veryfast";

    public int EncoderCrf { get; set; } = 20;
}
