using System.Text.Json.Nodes;
using Kybernet.ApiServer.Resources;
using Kybernet.ApiServer.Storage;
using Kybernet.Store;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// A list request's ?limit=, ?continue=, ?resourceVersion= and ?resourceVersionMatch=, read as
/// upstream's storage reads them (k8s.io/apiserver storage.ValidateListOptions and the etcd3
/// store's GetList), and the list metadata a page answers with.
/// <list type="bullet">
/// <item>continue: the page starts where the token says, at the token's revision (a consistent
/// snapshot); a token that is not one of ours is 400; with a resourceVersion other than "" or "0", 400;
/// its revision compacted: 410 Expired, with a token that goes on from the same key at the current
/// revision (the client may take the inconsistency, or start over).</item>
/// <item>resourceVersion N with resourceVersionMatch=Exact, or with a limit and no match (the legacy
/// rule): the list is read at N (410 once compacted); otherwise it is read now, and N newer than now is
/// 504 "Too large resource version".</item>
/// </list>
/// </summary>
public static class ListPaging
{
    private const string ExpiredList = "The resourceVersion for the provided list is too old.";
    private const string ExpiredContinue = "The provided continue parameter is too old to display a consistent list result. " +
        "You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder " +
        "of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, " +
        "or deleted between the time the first chunk was returned and now may show up in the list.";

    /// <summary>Reads the page the request asks for, with upstream's answers for tokens and revisions it cannot serve.</summary>
    public static async Task<ListPage> ReadAsync(HttpContext context, ObjectStore objects, ResourceDefinition r, string? ns,
        Func<JsonObject, bool>? matches)
    {
        var prefix = ObjectStore.Prefix(r, ns);
        var (page, minimum) = Request(context, prefix);
        ListPage result;
        try
        {
            result = await objects.ListPageAsync(r, ns, page, matches, context.RequestAborted);
        }
        catch (CompactedException) when (page.StartKey is not null)
        {
            throw new ApiException(410, "Expired", ExpiredContinue) { Continue = ContinueToken.Encode(page.StartKey, prefix, -1) };
        }
        catch (CompactedException)
        {
            throw ApiException.Gone(ExpiredList);
        }
        catch (FutureRevisionException e)
        {
            throw TooLarge(e.Requested, e.Current);
        }
        if (result.Revision < minimum)
            throw TooLarge(minimum, result.Revision);
        return result;
    }

    /// <summary>The list's metadata: its revision, and where a next page starts and how much follows, when one does.</summary>
    public static JsonObject ListMeta(ListPage page, ResourceDefinition r, string? ns)
    {
        var meta = new JsonObject { ["resourceVersion"] = page.Revision.ToString() };
        if (page.NextKey is { } next)
        {
            meta["continue"] = ContinueToken.Encode(next, ObjectStore.Prefix(r, ns), page.Revision);
            if (page.RemainingItemCount is { } remaining)
                meta["remainingItemCount"] = remaining;
        }
        return meta;
    }

    /// <summary>The page to read, and the oldest revision the answer may have (a "not older than" resourceVersion).</summary>
    private static (PageRequest Page, long Minimum) Request(HttpContext context, string prefix)
    {
        var query = context.Request.Query;
        long limit = 0;
        if (query["limit"].ToString() is { Length: > 0 } text && !long.TryParse(text, out limit))
            throw ApiException.BadRequest($"invalid limit \"{text}\": must be an integer");
        limit = Math.Max(limit, 0); // as upstream: zero or less is no limit
        var version = query["resourceVersion"].ToString();
        var match = query["resourceVersionMatch"].ToString();

        if (query["continue"].ToString() is { Length: > 0 } token)
        {
            if (version is not ("" or "0"))
                throw ApiException.BadRequest("specifying resource version is not allowed when using continue");
            try
            {
                var (start, revision) = ContinueToken.Decode(token, prefix);
                return (new PageRequest(limit, revision > 0 ? revision : 0, start), 0);
            }
            catch (FormatException e)
            {
                throw ApiException.BadRequest($"invalid continue token: {e.Message}");
            }
        }

        long rv = Negotiation.ResourceVersion(context);
        return match switch
        {
            _ when rv == 0 && match is "" or "NotOlderThan" => (new PageRequest(limit), 0),
            "Exact" when rv > 0 => (new PageRequest(limit, rv), 0),
            "" when limit > 0 => (new PageRequest(limit, rv), 0),
            "" or "NotOlderThan" => (new PageRequest(limit), rv),
            "Exact" => throw ApiException.BadRequest("resourceVersionMatch \"Exact\" needs a resourceVersion other than \"0\""),
            _ => throw ApiException.BadRequest($"unknown ResourceVersionMatch value: {match}"),
        };
    }

    private static ApiException TooLarge(long requested, long current) =>
        new(504, "Timeout", $"Too large resource version: {requested}, current: {current}");
}
