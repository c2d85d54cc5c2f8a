using System.Net;
using System.Text;
using Kybernet.Linux.Files;
using Kybernet.Net;

namespace Kybernet.Cni.Plugins.HostLocal;

/// <summary>
/// The reference host-local plugin's store, compatible with it so both can share a data dir:
/// DATADIR/NETWORK/ holds one file per reserved address, named by the address and created with
/// O_EXCL, holding "CONTAINERID\r\nIFNAME"; "last_reserved_ip.N" per range set N; and "lock", on
/// which every user takes an exclusive flock for the length of its work. Unlike the reference,
/// last_reserved_ip.N is replaced by rename, so a reader never sees it half written.
/// </summary>
public sealed class DiskReservationStore : IReservationStore
{
    public const string LockFileName = "lock";
    public const string LastReservedPrefix = "last_reserved_ip.";

    private readonly FileLock _lock;

    private DiskReservationStore(string directory, FileLock fileLock)
    {
        Directory = directory;
        _lock = fileLock;
    }

    /// <summary>The network's directory, DATADIR/NETWORK.</summary>
    public string Directory { get; }

    /// <summary>Creates DATADIR/NETWORK if needed and waits for its lock.</summary>
    public static DiskReservationStore Open(string dataDir, string network)
    {
        var directory = Path.Combine(dataDir, network);
        System.IO.Directory.CreateDirectory(directory);
        return new DiskReservationStore(directory, FileLock.Acquire(Path.Combine(directory, LockFileName)));
    }

    public bool TryReserve(IPAddress address, Attachment owner, int rangeSet)
    {
        var path = Path.Combine(Directory, address.ToString());
        FileStream file;
        try
        {
            file = new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.CreateNew, // O_CREAT|O_EXCL: the reservation itself
                Access = FileAccess.Write,
                Share = FileShare.ReadWrite,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            });
        }
        catch (IOException) when (File.Exists(path))
        {
            return false;
        }
        try
        {
            using (file)
                file.Write(Encoding.UTF8.GetBytes(owner.ToFileContent()));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
        WriteReplacing(Path.Combine(Directory, LastReservedPrefix + rangeSet), address.ToString());
        return true;
    }

    public IPAddress? LastReserved(int rangeSet)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(Directory, LastReservedPrefix + rangeSet)).Trim();
            return IPAddress.TryParse(text, out var ip) ? IpNumbers.Canonical(ip) : null;
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Files named by an address are reservations; everything else (lock, last_reserved_ip.N, temp files) is not.</summary>
    public IReadOnlyList<Reservation> List()
    {
        var reservations = new List<Reservation>();
        foreach (var path in System.IO.Directory.EnumerateFiles(Directory))
        {
            var name = Path.GetFileName(path);
            if (!IPAddress.TryParse(name, out var ip) || ip.ToString() != name)
                continue;
            string content;
            try { content = File.ReadAllText(path); }
            catch (FileNotFoundException) { continue; }
            reservations.Add(new Reservation(IpNumbers.Canonical(ip), Attachment.FromFileContent(content)));
        }
        return reservations;
    }

    public bool Release(IPAddress address)
    {
        var path = Path.Combine(Directory, address.ToString());
        if (!File.Exists(path))
            return false;
        File.Delete(path);
        return true;
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>Temp file + rename: readers see the old content or the new, never a mix.</summary>
    private void WriteReplacing(string path, string content)
    {
        var temp = Path.Combine(Directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        File.WriteAllText(temp, content);
        File.Move(temp, path, overwrite: true);
    }
}
