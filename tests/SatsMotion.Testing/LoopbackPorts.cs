namespace SatsMotion.Testing;

/// <summary>Free TCP ports on loopback, for servers the tests start.</summary>
public static class LoopbackPorts
{
    public static int Free()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
