using System.Net;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>
/// Where one network's reservations are kept. Opening a store takes its lock, disposing it releases
/// the lock, so every call between the two sees and changes the reservations alone. A reservation is
/// a single atomic step (<see cref="TryReserve"/>); nothing else needs to be consistent after a crash.
/// </summary>
public interface IReservationStore : IDisposable
{
    /// <summary>Reserves <paramref name="address"/> for <paramref name="owner"/>; false if someone holds it already.
    /// Records it as the last address reserved in range set <paramref name="rangeSet"/>.</summary>
    bool TryReserve(IPAddress address, Attachment owner, int rangeSet);

    /// <summary>The last address reserved in range set <paramref name="rangeSet"/>, where round-robin allocation resumes.</summary>
    IPAddress? LastReserved(int rangeSet);

    /// <summary>Every reservation, in no particular order.</summary>
    IReadOnlyList<Reservation> List();

    /// <summary>Removes the reservation of <paramref name="address"/>; false if there was none.</summary>
    bool Release(IPAddress address);
}
