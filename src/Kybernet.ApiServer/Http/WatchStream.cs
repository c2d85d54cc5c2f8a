using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.ApiServer.Tables;
using Kybernet.Store;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// ?watch=true: newline-delimited {"type","object"} events, chunked, kept open until the client goes
/// or timeoutSeconds passes. From resourceVersion N: every change after N; with none or "0": the
/// current objects as ADDED first. A compacted N is answered with an ERROR event carrying a 410
/// Expired Status. With allowWatchBookmarks, BOOKMARK events report progress once a minute.
/// Selectors filter events; an object that stops matching is sent as DELETED, as upstream does.
/// A server that is stopping ends its watches at once (clients resume elsewhere or later from their
/// resourceVersion) instead of holding its shutdown until they time out.
/// </summary>
public sealed class WatchStream(ObjectStore objects, ResourceDefinition r, ILogger<WatchStream> log)
{
    private static readonly TimeSpan BookmarkInterval = TimeSpan.FromSeconds(60);
    private bool _protobuf;

    public async Task Serve(HttpContext context, string? ns)
    {
        var labels = Negotiation.LabelSelector(context);
        var fields = Negotiation.FieldSelector(context, r);
        bool Matches(JsonObject o) => (labels is null || labels.Matches(o)) && (fields is null || fields.Matches(o, r.Kind));
        bool table = Negotiation.WantsTable(context);
        // Protobuf watches: length-prefixed WatchEvent frames, for kinds the protobuf schema describes.
        bool protobuf = !table && Negotiation.WantsProtobuf(context) && Protobuf.ProtoSchema.Kubernetes.ForKind(r.ApiVersion, r.Kind) is not null;
        bool bookmarks = context.Request.Query["allowWatchBookmarks"].ToString() == "true";
        var timeout = int.TryParse(context.Request.Query["timeoutSeconds"], out var seconds) && seconds > 0
            ? TimeSpan.FromSeconds(seconds) : TimeSpan.FromMinutes(30);

        var stopping = context.RequestServices.GetRequiredService<WatchShutdown>().Ending;
        if (stopping.IsCancellationRequested)
        {
            // A watch that arrives as the server stops: refused, as upstream does, but nothing failed (not a logged 5xx).
            await JsonResponses.Write(context, 503, new ApiException(503, "ServiceUnavailable", "the server is shutting down").ToStatus());
            return;
        }
        using var lifetime = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
        lifetime.CancelAfter(timeout);
        var ct = lifetime.Token;

        context.Response.StatusCode = 200;
        context.Response.ContentType = table ? Negotiation.TableContentType : protobuf ? Protobuf.KubernetesProtobuf.WatchMediaType : "application/json";
        _protobuf = protobuf;
        await context.Response.StartAsync(ct);
        await context.Response.Body.FlushAsync(ct); // headers now: a quiet watch must still look open to the client

        long from = Negotiation.ResourceVersion(context);
        if (from == 0)
        {
            var (items, revision) = await objects.ListAsync(r, ns, ct);
            foreach (var item in items.Where(Matches))
                await Send(context, "ADDED", item, table, ct);
            from = revision;
        }

        long lastRevision = from;
        var lastBookmark = DateTime.UtcNow;
        try
        {
            await foreach (var (type, obj, previous) in Events(ns, from, ct))
            {
                if (obj is null)
                {
                    if (bookmarks && DateTime.UtcNow - lastBookmark >= BookmarkInterval)
                    {
                        await Send(context, "BOOKMARK", Bookmark(lastRevision), false, ct);
                        lastBookmark = DateTime.UtcNow;
                    }
                    continue;
                }
                lastRevision = long.Parse(obj["metadata"]!["resourceVersion"]!.GetValue<string>());
                // Whether the client saw the object before this change, and whether it should now.
                bool before = type != "ADDED" && previous is not null ? Matches(previous) : type != "ADDED" && Matches(obj);
                bool after = type != "DELETED" && Matches(obj);
                var sent = (before, after) switch
                {
                    (false, true) => "ADDED",
                    (true, true) => "MODIFIED",
                    (true, false) => "DELETED",
                    _ => null,
                };
                if (sent is not null)
                    await Send(context, sent, obj, table, ct);
            }
        }
        catch (CompactedException e)
        {
            // Expected: the client asked for history the store no longer has; it lists again.
            var gone = ApiException.Gone($"too old resource version: {e.Requested} ({e.CompactRevision})");
            await Send(context, "ERROR", gone.ToStatus(), false, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Expected: the client went away, its timeout passed, or the server is stopping.
        }
    }

    /// <summary>Store events, with a null "tick" every few seconds so bookmarks can go out on quiet streams.</summary>
    private async IAsyncEnumerable<(string Type, JsonObject? Obj, JsonObject? Previous)> Events(string? ns, long after, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var events = objects.WatchAsync(r, ns, after, ct).GetAsyncEnumerator(ct);
        var next = events.MoveNextAsync().AsTask();
        Task? tick = null;
        try
        {
            while (true)
            {
                // One timer at a time, made anew only when it fired: not one per event.
                tick ??= Task.Delay(TimeSpan.FromSeconds(5), ct);
                if (await Task.WhenAny(next, tick) == next)
                {
                    if (!await next)
                        yield break;
                    yield return events.Current;
                    next = events.MoveNextAsync().AsTask();
                }
                else
                {
                    ct.ThrowIfCancellationRequested();
                    tick = null;
                    yield return ("TICK", null, null);
                }
            }
        }
        finally
        {
            // An async iterator cannot be disposed while a MoveNext is pending: let it end first.
            // (One that completed was awaited by the loop, which passed on its failure, if any.)
            if (!next.IsCompleted)
            {
                try { await next; }
                catch (OperationCanceledException) when (ct.IsCancellationRequested)
                {
                    // How a pending read normally ends: the stream is being cancelled.
                }
                catch (Exception e)
                {
                    // Nobody reads this stream any more, so the failure would be lost: log it.
                    log.LogWarning(e, "The store watch of {Resource} failed while its watch stream was ending", r.QualifiedResource);
                }
            }
            await events.DisposeAsync();
        }
    }

    private async Task Send(HttpContext context, string type, JsonObject obj, bool table, CancellationToken ct)
    {
        if (_protobuf)
        {
            await SendProtobuf(context, type, obj, ct);
            return;
        }
        var payload = table && type is "ADDED" or "MODIFIED" or "DELETED" ? TableWriter.ForObject(r, obj) : obj;
        var line = new JsonObject { ["type"] = type, ["object"] = payload.DeepClone() }.ToJsonString() + "\n";
        await context.Response.WriteAsync(line, ct);
        await context.Response.Body.FlushAsync(ct);
    }

    /// <summary>One frame: the WatchEvent's length (4 bytes, big-endian), then the WatchEvent.</summary>
    private static async Task SendProtobuf(HttpContext context, string type, JsonObject obj, CancellationToken ct)
    {
        using var frame = new Protobuf.ProtoWriter();
        frame.WriteRaw([0, 0, 0, 0]);
        Protobuf.KubernetesProtobuf.EncodeWatchEvent(frame, type, obj);
        frame.PatchBigEndianInt32(0, frame.Length - 4);
        await context.Response.Body.WriteAsync(frame.WrittenMemory, ct);
        await context.Response.Body.FlushAsync(ct);
    }

    private JsonObject Bookmark(long revision) => new()
    {
        ["kind"] = r.Kind,
        ["apiVersion"] = r.ApiVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = revision.ToString() },
    };
}
