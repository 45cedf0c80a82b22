package replicate

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"signalcraft/appliance/config"
)

// s3Client builds an S3 client from an explicit aws.Config (no shared files, no
// environment: AWS_CA_BUNDLE and profiles cannot change it).
func s3Client(cfg config.S3Replication, creds Credentials) *s3.Client {
	return NewS3Client(cfg, creds, &http.Client{Timeout: 30 * time.Second})
}

// NewS3Client returns an S3 client for the replication target's endpoint, region and path
// style with creds, built from an explicit aws.Config (no shared files, no environment:
// AWS_CA_BUNDLE and profiles cannot change it). Audio clips are uploaded with it too.
func NewS3Client(cfg config.S3Replication, creds Credentials, hc *http.Client) *s3.Client {
	region := cfg.Region
	if region == "" {
		region = "us-east-1"
	}
	ac := aws.Config{
		Region:      region,
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.secret, ""),
		HTTPClient:  hc,
	}
	return s3.NewFromConfig(ac, func(o *s3.Options) {
		o.UsePathStyle = cfg.PathStyle
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
			o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
			o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		}
	})
}

// EnsureBucket creates the bucket when HeadBucket says it does not exist. Any other
// failure (unreachable endpoint, refused credentials, no permission to create) is returned
// wrapping ErrBucket with what S3 said.
func EnsureBucket(ctx context.Context, cfg config.S3Replication, creds Credentials) error {
	c := s3Client(cfg, creds)
	_, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String(cfg.Bucket)})
	if err == nil {
		return nil
	}
	if !isNotFound(err) {
		return fmt.Errorf("replicate: bucket %q at %s: %w: %w", cfg.Bucket, endpointOrAWS(cfg.Endpoint), ErrBucket, err)
	}
	in := &s3.CreateBucketInput{Bucket: aws.String(cfg.Bucket)}
	if cfg.Region != "" && cfg.Region != "us-east-1" {
		in.CreateBucketConfiguration = &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(cfg.Region)}
	}
	if _, err := c.CreateBucket(ctx, in); err != nil {
		var owned *types.BucketAlreadyOwnedByYou
		if errors.As(err, &owned) {
			return nil
		}
		return fmt.Errorf("replicate: bucket %q does not exist at %s and creating it failed (create it yourself or grant s3:CreateBucket): %w: %w",
			cfg.Bucket, endpointOrAWS(cfg.Endpoint), ErrBucket, err)
	}
	return nil
}

func isNotFound(err error) bool {
	var nf *types.NotFound
	var nb *types.NoSuchBucket
	if errors.As(err, &nf) || errors.As(err, &nb) {
		return true
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NotFound", "NoSuchBucket":
			return true
		}
	}
	return false
}
