// Errors thrown by handlers and rendered by the server as S3's (or STS's) XML error documents.

export class S3Error extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly extra: Record<string, string> = {},
    public readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** An STS Query API error (rendered as `<ErrorResponse>`). */
export class StsError extends Error {
  constructor(
    public readonly status: number,
    public readonly code: string,
    message: string,
    public readonly type: "Sender" | "Receiver" = "Sender",
  ) {
    super(message);
  }
}

export const accessDenied = (): S3Error => new S3Error(403, "AccessDenied", "Access Denied");

export const noSuchBucket = (bucket: string): S3Error =>
  new S3Error(404, "NoSuchBucket", "The specified bucket does not exist", { BucketName: bucket });

export const noSuchKey = (key: string): S3Error => new S3Error(404, "NoSuchKey", "The specified key does not exist.", { Key: key });

export const noSuchUpload = (uploadId: string): S3Error =>
  new S3Error(
    404,
    "NoSuchUpload",
    "The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.",
    { UploadId: uploadId },
  );

export const invalidArgument = (message: string, name?: string, value?: string): S3Error =>
  new S3Error(400, "InvalidArgument", message, name !== undefined ? { ArgumentName: name, ArgumentValue: value ?? "" } : {});

export const invalidRequest = (message: string): S3Error => new S3Error(400, "InvalidRequest", message);

/**
 * An archived object (S3 Glacier Flexible Retrieval, Deep Archive) read or used as a copy source
 * before it is restored: 403 InvalidObjectState, "The operation is not valid for the current state
 * of the object" (S3 API Reference, Error responses; CopyObject: "you can't copy an object that is
 * archived ... you must first restore a copy").
 */
export const invalidObjectState = (storageClass: string): S3Error =>
  new S3Error(403, "InvalidObjectState", "The operation is not valid for the object's storage class", { StorageClass: storageClass });

export const malformedXml = (): S3Error =>
  new S3Error(400, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema");

export const preconditionFailed = (condition: string): S3Error =>
  new S3Error(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold", { Condition: condition });

export const notImplemented = (what: string): S3Error =>
  new S3Error(501, "NotImplemented", "A header you provided implies functionality that is not implemented", { Header: what });

/** Standard messages for injected faults and failNext codes. */
export const FAULT_STATUS: Record<string, [number, string]> = {
  SlowDown: [503, "Please reduce your request rate."],
  ServiceUnavailable: [503, "Service is unable to handle request."],
  InternalError: [500, "We encountered an internal error. Please try again."],
  AccessDenied: [403, "Access Denied"],
  ExpiredToken: [400, "The provided token has expired."],
  InvalidToken: [400, "The provided token is malformed or otherwise invalid."],
  RequestTimeTooSkewed: [403, "The difference between the request time and the current time is too large."],
  RequestTimeout: [400, "Your socket connection to the server was not read from or written to within the timeout period."],
  NoSuchKey: [404, "The specified key does not exist."],
  InvalidObjectState: [403, "The operation is not valid for the object's storage class"],
  Throttling: [400, "Rate exceeded"],
};
