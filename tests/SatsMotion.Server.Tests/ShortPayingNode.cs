using SatsMotion.Lightning;
using SatsMotion.Lightning.DevNode;

namespace SatsMotion.Server.Tests;

/// <summary>The dev node, but every settled invoice reports one sat less than its amount (a node or route that shorted the payee).</summary>
internal sealed class ShortPayingNode(DevLightningNode node) : ILightningBackend
{
    public string Name => node.Name;

    public bool IsDevelopment => node.IsDevelopment;

    public Task<NodeInfo> GetInfoAsync(CancellationToken cancellationToken) => node.GetInfoAsync(cancellationToken);

    public Task<CreatedInvoice> CreateInvoiceAsync(long amountSat, string description, TimeSpan expiry, CancellationToken cancellationToken) =>
        node.CreateInvoiceAsync(amountSat, description, expiry, cancellationToken);

    public async Task<InvoiceStatus> LookupInvoiceAsync(byte[] paymentHash, CancellationToken cancellationToken)
    {
        var status = await node.LookupInvoiceAsync(paymentHash, cancellationToken);
        return status with { AmountReceivedMsat = status.AmountReceivedMsat - 1000 };
    }

    public Task<PaymentResult> PayInvoiceAsync(string paymentRequest, long? maxFeeSat, CancellationToken cancellationToken) =>
        node.PayInvoiceAsync(paymentRequest, maxFeeSat, cancellationToken);

    public Task<OutgoingPayment> LookupPaymentAsync(byte[] paymentHash, CancellationToken cancellationToken) => node.LookupPaymentAsync(paymentHash, cancellationToken);
}
