namespace SatsMotion.Server.Jobs;

public enum JobStatus
{
    QUEUED,
    PROCESSING,
    COMPLETED,
    FAILED,
}

/// <summary>One paid job: exactly one per token (the token id is unique in the store).</summary>
public sealed record Job(
    string Id,
    string TokenId,
    string PaymentHash,
    string RequestHash,
    string Model,
    int DurationSeconds,
    string Prompt,
    long PriceSats,
    JobStatus Status,
    double Progress,
    int Attempts,
    string? Error,
    string VideoName,
    int? Width,
    int? Height,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? ExpiredAt,
    string? RemoteJobId = null,
    string? ErrorCode = null,
    string? CallbackUrl = null,
    string? CallbackId = null,
    string? BaseUrl = null)
{
    public bool IsFinished => Status is JobStatus.COMPLETED or JobStatus.FAILED;

    public bool HasVideo => Status == JobStatus.COMPLETED && ExpiredAt is null;
}

/// <summary>What the API hands the store to create a job; a callback keeps the base URL its deliveries' links use.</summary>
public sealed record NewJob(string TokenId, string PaymentHash, string RequestHash, string Model, int DurationSeconds, string Prompt, long PriceSats,
    string? CallbackUrl = null, string? CallbackId = null, string? BaseUrl = null);
