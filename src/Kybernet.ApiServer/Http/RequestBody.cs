using System.Buffers;
using Microsoft.AspNetCore.Http;

namespace Kybernet.ApiServer.Http;

/// <summary>
/// A request body, read whole but never beyond upstream's limit: kube-apiserver refuses a write
/// whose body exceeds 3 MiB (its MaxRequestBodyBytes, twice etcd's 1.5 MiB request limit, since
/// JSON is larger than what is stored) with 413 RequestEntityTooLarge, having read at most one byte
/// more than the limit. A Content-Length over the limit is refused before anything is read.
/// </summary>
public static class RequestBody
{
    public const int MaxBytes = 3 * 1024 * 1024;

    public static async Task<ReadOnlyMemory<byte>> ReadAsync(HttpContext context)
    {
        if (context.Request.ContentLength > MaxBytes)
            throw TooLarge();
        using var body = new MemoryStream();
        var chunk = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            int read;
            while ((read = await context.Request.Body.ReadAsync(chunk, context.RequestAborted)) > 0)
            {
                if (body.Length + read > MaxBytes)
                    throw TooLarge();
                body.Write(chunk, 0, read);
            }
        }
        catch (IOException e)
        {
            throw new ClientGoneException(e);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
        return body.GetBuffer().AsMemory(0, (int)body.Length);
    }

    /// <summary>Upstream's words (apierrors.NewRequestEntityTooLargeError).</summary>
    public static ApiException TooLarge() =>
        new(413, "RequestEntityTooLarge", $"Request entity too large: limit is {MaxBytes}");
}
